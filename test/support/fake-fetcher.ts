import type { Clock } from '../../src/util/clock.js';
import type { CredentialFetcher } from '../../src/core/token-fetcher.js';
import { wechatError } from '../../src/wechat/errcodes.js';
import type { Grant } from '../../src/stores/store.js';
import type { AccessToken, Ticket, TicketType, WeComTicketType } from '../../src/wechat/index.js';

/** One recorded call of the fake fetcher. */
export interface FetchCall {
  appid: string;
  grant: Grant;
  force: boolean;
  at: number;
}

/** One recorded getticket call of the fake fetcher. */
export interface TicketCall {
  accessToken: string;
  type: TicketType;
  at: number;
}

/**
 * A CredentialFetcher that behaves like WeChat's token endpoints in miniature (classic: every call a new token;
 * stable: same token unless within the window or forced; getticket: the app's current ticket until it expires,
 * always with the full lifetime) and lets tests hold calls open or make them fail.
 */
export class FakeFetcher implements CredentialFetcher {
  readonly calls: FetchCall[] = [];
  readonly ticketCalls: TicketCall[] = [];
  ticketLifetimeMs = 7_200_000;
  /** Access tokens getticket answers with 40001 (rotated elsewhere, say). */
  readonly deadTokens = new Set<string>();
  lifetimeMs = 7_200_000;
  stableWindowMs = 300_000;
  /** Set to make the next calls fail (consumed one per call when `failTimes` > 0, else forever). */
  failWith: (() => Error) | undefined;
  failTimes = 0;
  /** When set, calls wait for this promise before answering (to observe concurrency). */
  gate: Promise<void> | undefined;
  /** Called at the start of every token fetch. */
  onCall: (() => void) | undefined;
  inFlight = 0;
  maxInFlight = 0;
  #seq = 0;
  #stable = new Map<string, AccessToken>();
  /** appid suffix + type → the current ticket and when it was issued. */
  #tickets = new Map<string, { ticket: string; issuedAt: number }>();

  constructor(private readonly clock: Clock) {}

  async fetchToken(app: { appid: string; secret: string; grant: Grant }, options: { force: boolean }): Promise<AccessToken> {
    const at = this.clock.now();
    this.calls.push({ appid: app.appid, grant: app.grant, force: options.force, at });
    this.onCall?.();
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.gate) await this.gate;
      if (this.failWith) {
        const make = this.failWith;
        if (this.failTimes > 0 && --this.failTimes === 0) this.failWith = undefined;
        throw make();
      }
      if (app.grant === 'stable' && !options.force) {
        const current = this.#stable.get(app.appid);
        if (current && current.expiresAt - at > this.stableWindowMs) return current;
      }
      const token = { token: `tok-${app.appid.slice(-4)}-${++this.#seq}`, expiresAt: at + this.lifetimeMs };
      if (app.grant === 'stable') this.#stable.set(app.appid, token);
      return token;
    } finally {
      this.inFlight--;
    }
  }

  async fetchTicket(accessToken: string, type: TicketType): Promise<Ticket> {
    const at = this.clock.now();
    this.ticketCalls.push({ accessToken, type, at });
    if (this.gate) await this.gate;
    if (this.deadTokens.has(accessToken)) {
      throw wechatError(40001, 'invalid credential, access_token is invalid or not latest', '/cgi-bin/ticket/getticket', 'business');
    }
    // Tokens are `tok-<last 4 of appid>-<n>`: the ticket belongs to the app, not to the token it was fetched with.
    const app = accessToken.split('-')[1] ?? '';
    const slot = `${app}:${type}`;
    let current = this.#tickets.get(slot);
    if (!current || at >= current.issuedAt + this.ticketLifetimeMs) {
      current = { ticket: `tkt-${app}-${type}-${++this.#seq}`, issuedAt: at };
      this.#tickets.set(slot, current);
    }
    return { ticket: current.ticket, expiresAt: at + this.ticketLifetimeMs };
  }

  /** WeCom gettoken calls, by corpid and secret. */
  readonly wecomCalls: Array<{ corpid: string; secret: string; at: number }> = [];
  /** WeCom ticket calls. */
  readonly wecomTicketCalls: Array<{ accessToken: string; type: WeComTicketType; at: number }> = [];
  /** corpid + secret → the current WeCom token (gettoken answers it unchanged while it is valid). */
  #wecom = new Map<string, { token: string; issuedAt: number }>();

  async fetchWeComToken(agent: { corpid: string; secret: string }): Promise<AccessToken> {
    const at = this.clock.now();
    this.wecomCalls.push({ ...agent, at });
    this.onCall?.();
    if (this.gate) await this.gate;
    if (this.failWith) {
      const make = this.failWith;
      if (this.failTimes > 0 && --this.failTimes === 0) this.failWith = undefined;
      throw make();
    }
    const slot = `${agent.corpid}|${agent.secret}`;
    let current = this.#wecom.get(slot);
    if (!current || at >= current.issuedAt + this.lifetimeMs || this.deadTokens.has(current.token)) {
      current = { token: `wecom-${agent.corpid.slice(-4)}-${++this.#seq}`, issuedAt: at };
      this.#wecom.set(slot, current);
    }
    return { token: current.token, expiresAt: at + this.lifetimeMs };
  }

  async fetchWeComTicket(accessToken: string, type: WeComTicketType): Promise<Ticket> {
    const at = this.clock.now();
    this.wecomTicketCalls.push({ accessToken, type, at });
    if (this.gate) await this.gate;
    if (this.deadTokens.has(accessToken)) throw wechatError(42001, 'access_token expired', '/cgi-bin/get_jsapi_ticket', 'business');
    // Tokens are `wecom-<last 4 of corpid>-<n>`: the ticket belongs to the corp, not to the token.
    const slot = `wecom-${accessToken.split('-')[1] ?? ''}:${type}`;
    let current = this.#tickets.get(slot);
    if (!current || at >= current.issuedAt + this.ticketLifetimeMs) {
      current = { ticket: `wtkt-${type}-${++this.#seq}`, issuedAt: at };
      this.#tickets.set(slot, current);
    }
    return { ticket: current.ticket, expiresAt: at + this.ticketLifetimeMs };
  }

  /** Calls made for `appid` (optionally only force calls). */
  count(appid?: string, filter?: { force?: boolean }): number {
    return this.calls.filter((c) => (appid === undefined || c.appid === appid) && (filter?.force === undefined || c.force === filter.force)).length;
  }
}

/** A promise with its resolve function exposed. */
export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
