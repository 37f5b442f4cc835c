import { createHash, timingSafeEqual } from 'node:crypto';
import { ConflictError, InvalidRequestError, NotFoundError } from '../errors/index.js';
import { WindowCounter, minuteIndex, shanghaiDay, shanghaiMonth } from './calendar.js';
import type { ResolvedSimulatorOptions } from './options.js';
import { CredentialSlot, type Credential, type SlotView } from './credential-slot.js';
import { OwnerCounters, type CountersSnapshot, type FetchKind } from './counters.js';
import { FaultRegistry, type Fault, type FaultSpec } from './faults.js';
import { IpAllowList } from './ip-allow-list.js';
import { decideTicket, ticketExpiresIn } from './ticket-policy.js';
import { isWellFormedToken, newAccessToken, newTicket } from './token-shape.js';
import { expiresInSeconds, wechatError, type WeChatErrorBody } from './wechat-reply.js';

/** Which issuer a token came from; tokens of one family never vouch for another (§0 token isolation). */
export type TokenFamily = 'classic' | 'stable' | 'wecom';

/** An Official Account / Mini Program app as the simulator models it (wechat-api.md §11). */
export interface AppRecord {
  readonly kind: 'app';
  readonly id: string;
  secret: string;
  allowList: IpAllowList;
  readonly classic: CredentialSlot;
  readonly stable: CredentialSlot;
  readonly tickets: { readonly jsapi: CredentialSlot; readonly wx_card: CredentialSlot };
  readonly classicDaily: WindowCounter;
  readonly stableDaily: WindowCounter;
  readonly stableMinute: WindowCounter;
  readonly forceDaily: WindowCounter;
  readonly clearQuotaMonthly: WindowCounter;
  lastForceAt: number | undefined;
  readonly counters: OwnerCounters;
}

/** A WeCom corp with one application secret. */
export interface CorpRecord {
  readonly kind: 'corp';
  readonly id: string;
  secret: string;
  readonly token: CredentialSlot;
  readonly tickets: { readonly jsapi: CredentialSlot; readonly agent_config: CredentialSlot };
  readonly counters: OwnerCounters;
}

/** The outcome of presenting an access token: accepted, or the errcode WeChat answers (decision 2). */
export type TokenCheck =
  | { readonly ok: true; readonly owner: AppRecord | CorpRecord; readonly family: TokenFamily }
  | { readonly ok: false; readonly errcode: 41001 | 40014 | 40001 | 42001; readonly owner?: AppRecord | CorpRecord };

/** A credential handed out, with its whole-second lifetime as the wire shows it. */
export interface Issued {
  readonly credential: Credential;
  readonly expiresIn: number;
  readonly rotated: boolean;
}

/** What the control API shows of an app's or corp's credentials (tokens included: the control API is for tests). */
export type TokensView =
  | { appid: string; classic: SlotView; stable: SlotView; tickets: { jsapi: SlotView; wx_card: SlotView } }
  | { corpid: string; wecom: SlotView; tickets: { jsapi: SlotView; agent_config: SlotView } };

/** Result of rotating a token "from elsewhere". */
export interface RotateResult {
  readonly rotated: boolean;
  readonly access_token: string;
  readonly expires_in: number;
}

// Enough to remember every token a long test run issues, bounded so a bench run cannot grow memory without end.
const MAX_REMEMBERED_TOKENS = 100_000;
const ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * The simulator's whole model: registered apps and corps, their tokens, tickets, quotas and counters, and the
 * armed faults. Pure logic over the injected clock and random source; the HTTP layer only translates.
 */
export class SimulatorState {
  readonly options: ResolvedSimulatorOptions;
  readonly faults = new FaultRegistry();
  readonly #apps = new Map<string, AppRecord>();
  readonly #corps = new Map<string, CorpRecord>();
  readonly #issued = new Map<string, { owner: AppRecord | CorpRecord; family: TokenFamily }>();
  readonly #unattributed = new OwnerCounters();

  constructor(options: ResolvedSimulatorOptions) {
    this.options = options;
  }

  /** The simulator's current time in milliseconds. */
  now(): number {
    return this.options.clock.now();
  }

  /** An error body stamped with a fresh rid. */
  error(errcode: number, text?: string): WeChatErrorBody {
    return wechatError(errcode, this.now(), this.options.random, text);
  }

  /** Registers an app, or replaces the secret and allow-list of a registered one. */
  registerApp(input: { appid: string; secret: string; ipAllowList?: readonly string[] }): { appid: string; ipAllowList: string[]; created: boolean } {
    const appid = checkId('appid', input?.appid);
    const secret = checkSecret('secret', input?.secret);
    if (this.#corps.has(appid)) throw new ConflictError(`${appid} is already registered as a corp`);
    let allowList: IpAllowList;
    try {
      const entries = input.ipAllowList ?? [];
      if (!Array.isArray(entries)) throw new TypeError('ipAllowList must be an array of strings');
      allowList = new IpAllowList(entries);
    } catch (err) {
      throw new InvalidRequestError((err as Error).message);
    }
    const existing = this.#apps.get(appid);
    if (existing) {
      existing.secret = secret;
      existing.allowList = allowList;
      return { appid, ipAllowList: [...allowList.entries], created: false };
    }
    this.#apps.set(appid, {
      kind: 'app',
      id: appid,
      secret,
      allowList,
      classic: new CredentialSlot(),
      stable: new CredentialSlot(),
      tickets: { jsapi: new CredentialSlot(), wx_card: new CredentialSlot() },
      classicDaily: new WindowCounter(shanghaiDay),
      stableDaily: new WindowCounter(shanghaiDay),
      stableMinute: new WindowCounter(minuteIndex),
      forceDaily: new WindowCounter(shanghaiDay),
      clearQuotaMonthly: new WindowCounter(shanghaiMonth),
      lastForceAt: undefined,
      counters: new OwnerCounters(),
    });
    return { appid, ipAllowList: [...allowList.entries], created: true };
  }

  /** Registers a WeCom corp, or replaces the secret of a registered one. */
  registerCorp(input: { corpid: string; secret: string }): { corpid: string; created: boolean } {
    const corpid = checkId('corpid', input?.corpid);
    const secret = checkSecret('secret', input?.secret);
    if (this.#apps.has(corpid)) throw new ConflictError(`${corpid} is already registered as an app`);
    const existing = this.#corps.get(corpid);
    if (existing) {
      existing.secret = secret;
      return { corpid, created: false };
    }
    this.#corps.set(corpid, {
      kind: 'corp',
      id: corpid,
      secret,
      token: new CredentialSlot(),
      tickets: { jsapi: new CredentialSlot(), agent_config: new CredentialSlot() },
      counters: new OwnerCounters(),
    });
    return { corpid, created: true };
  }

  /** Registered apps, without secrets. */
  listApps(): Array<{ appid: string; ipAllowList: string[] }> {
    return [...this.#apps.values()].map((a) => ({ appid: a.id, ipAllowList: [...a.allowList.entries] }));
  }

  /** Registered corps, without secrets. */
  listCorps(): Array<{ corpid: string }> {
    return [...this.#corps.values()].map((c) => ({ corpid: c.id }));
  }

  /** The app registered as `appid`, if any. */
  app(appid: string | undefined): AppRecord | undefined {
    return appid === undefined ? undefined : this.#apps.get(appid);
  }

  /** The corp registered as `corpid`, if any. */
  corp(corpid: string | undefined): CorpRecord | undefined {
    return corpid === undefined ? undefined : this.#corps.get(corpid);
  }

  /** The app or corp with this id, if any (they share one namespace). */
  owner(id: string | undefined): AppRecord | CorpRecord | undefined {
    return this.app(id) ?? this.corp(id);
  }

  /** Counters of an app or corp; throws NotFoundError for an unknown id. */
  counters(id: string): CountersSnapshot {
    return this.#requireOwner(id).counters.snapshot();
  }

  /** Business-call outcomes that could not be tied to any app (missing, malformed or never-issued tokens). */
  unattributedCounters(): Record<string, number> {
    return this.#unattributed.snapshot().businessCalls;
  }

  /** Zeroes the counters of an app or corp. */
  resetCounters(id: string): void {
    this.#requireOwner(id).counters.reset();
  }

  /** Arms a fault (see FaultSpec). */
  injectFault(spec: FaultSpec): Fault {
    return this.faults.add(spec);
  }

  /** Disarms every fault; returns how many were armed. */
  clearFaults(): number {
    return this.faults.clear();
  }

  /** Whether `given` is the secret of `owner`, compared in constant time. */
  secretMatches(owner: AppRecord | CorpRecord, given: string): boolean {
    const a = createHash('sha256').update(owner.secret).digest();
    const b = createHash('sha256').update(given).digest();
    return timingSafeEqual(a, b);
  }

  /** Judges a presented access token; `accept` lists the families the endpoint serves (others are unknown there). */
  checkToken(token: string | undefined, accept: readonly TokenFamily[]): TokenCheck {
    if (token === undefined || token === '') return { ok: false, errcode: 41001 };
    if (!isWellFormedToken(token)) return { ok: false, errcode: 40014 };
    const entry = this.#issued.get(token);
    if (!entry) return { ok: false, errcode: 40001 };
    // A token of another family is one this host never issued (WeCom and OA live on different hosts).
    if (!accept.includes(entry.family)) return { ok: false, errcode: 40001, owner: entry.owner };
    const status = this.#slotOf(entry.owner, entry.family).status(token, this.now());
    if (status === 'valid') return { ok: true, owner: entry.owner, family: entry.family };
    return { ok: false, errcode: status === 'expired' ? 42001 : 40001, owner: entry.owner };
  }

  /** The id of the app or corp that was issued `token`, if the simulator remembers issuing it. */
  tokenOwnerId(token: string | undefined): string | undefined {
    return token === undefined ? undefined : this.#issued.get(token)?.owner.id;
  }

  /** Counts a business call by outcome, under its owner when the token names one. */
  countBusiness(owner: AppRecord | CorpRecord | undefined, outcome: 'ok' | number): void {
    (owner?.counters ?? this.#unattributed).business(outcome);
  }

  /** `/cgi-bin/token`: every fetch issues a new token; the old one gets the grace period (decision 1). */
  issueClassic(app: AppRecord): Issued {
    const now = this.now();
    return this.#rotate(app.classic, now + this.options.graceMs, app, 'classic');
  }

  /** Stable normal mode: the same token while more than the window remains, else a new one (decision 3). */
  stableNormal(app: AppRecord): Issued {
    const now = this.now();
    const live = app.stable.live(now);
    if (live && live.expiresAt - now > this.options.stableWindowMs) {
      return { credential: live, expiresIn: expiresInSeconds(live.expiresAt, now), rotated: false };
    }
    // Rotated in its last minutes, the old stable token lives to its own expiry.
    return this.#rotate(app.stable, Number.POSITIVE_INFINITY, app, 'stable');
  }

  /**
   * Stable force mode: rotates only if the last force call was at least the spacing ago, else returns the current
   * token; undefined when the day's force calls are used up (45009). Every answered force call counts.
   */
  stableForce(app: AppRecord): Issued | undefined {
    const now = this.now();
    if (!app.forceDaily.tryTake(now, this.options.forceDailyLimit)) return undefined;
    const spaced = app.lastForceAt === undefined || now - app.lastForceAt >= this.options.forceSpacingMs;
    app.lastForceAt = now;
    const live = app.stable.live(now);
    if (!spaced && live) return { credential: live, expiresIn: expiresInSeconds(live.expiresAt, now), rotated: false };
    return this.#rotate(app.stable, now + this.options.graceMs, app, 'stable');
  }

  /** WeCom gettoken: the same token while valid, a new one after it expires (decision 5). */
  wecomToken(corp: CorpRecord): Issued {
    const now = this.now();
    const live = corp.token.live(now);
    if (live) return { credential: live, expiresIn: expiresInSeconds(live.expiresAt, now), rotated: false };
    return this.#rotate(corp.token, Number.POSITIVE_INFINITY, corp, 'wecom');
  }

  /**
   * A ticket request (decision 6, corrected): the current ticket unchanged until its life ends, then a new one; with
   * `ticketRotation: 'on-fetch'` a new one every call, the previous valid for the grace. `expiresIn` is always the
   * full lifetime, as WeChat reports it. Tickets do not depend on the token that fetched them.
   */
  issueTicket(slot: CredentialSlot): Issued {
    const now = this.now();
    const { ticketTtlMs, ticketRotation, graceMs } = this.options;
    const expiresIn = ticketExpiresIn(ticketTtlMs);
    const decision = decideTicket(slot.current, now, ticketRotation, graceMs);
    if (decision.action === 'reuse') return { credential: decision.ticket, expiresIn, rotated: false };
    const credential = { value: newTicket(this.options.random), issuedAt: now, expiresAt: now + ticketTtlMs };
    slot.rotate(credential, decision.previousDeadline);
    return { credential, expiresIn, rotated: true };
  }

  /**
   * Another system fetches a token for `appid`: classic always rotates; stable follows normal or force mode
   * (force ignoring spacing and the daily limit). Bypasses validation, quotas and counters.
   */
  rotate(appid: string, grant: 'classic' | 'stable', force = false): RotateResult {
    const app = this.app(appid);
    if (!app) throw new NotFoundError(`app ${appid} is not registered`);
    let issued: Issued;
    if (grant === 'classic') issued = this.issueClassic(app);
    else if (grant === 'stable') {
      issued = force ? this.#rotate(app.stable, this.now() + this.options.graceMs, app, 'stable') : this.stableNormal(app);
    } else throw new InvalidRequestError(`grant must be classic or stable`);
    return { rotated: issued.rotated, access_token: issued.credential.value, expires_in: issued.expiresIn };
  }

  /** Current and previous tokens and tickets of an app or corp, with expiries. */
  tokens(id: string): TokensView {
    const owner = this.#requireOwner(id);
    if (owner.kind === 'app') {
      return {
        appid: owner.id,
        classic: owner.classic.view(),
        stable: owner.stable.view(),
        tickets: { jsapi: owner.tickets.jsapi.view(), wx_card: owner.tickets.wx_card.view() },
      };
    }
    return {
      corpid: owner.id,
      wecom: owner.token.view(),
      tickets: { jsapi: owner.tickets.jsapi.view(), agent_config: owner.tickets.agent_config.view() },
    };
  }

  /** Starts tracking a credential-endpoint request for `id` (if registered); call the result when it ends. */
  beginTokenRequest(id: string | undefined, kind: FetchKind): () => void {
    const owner = this.owner(id);
    return owner ? owner.counters.begin(kind) : () => {};
  }

  #rotate(slot: CredentialSlot, previousDeadline: number, owner: AppRecord | CorpRecord, family: TokenFamily): Issued {
    const now = this.now();
    const credential = { value: newAccessToken(this.options.random), issuedAt: now, expiresAt: now + this.options.tokenTtlMs };
    slot.rotate(credential, previousDeadline);
    this.#issued.set(credential.value, { owner, family });
    if (this.#issued.size > MAX_REMEMBERED_TOKENS) {
      const oldest = this.#issued.keys().next().value;
      if (oldest !== undefined) this.#issued.delete(oldest);
    }
    return { credential, expiresIn: expiresInSeconds(credential.expiresAt, now), rotated: true };
  }

  #slotOf(owner: AppRecord | CorpRecord, family: TokenFamily): CredentialSlot {
    if (owner.kind === 'corp') return owner.token;
    return family === 'stable' ? owner.stable : owner.classic;
  }

  #requireOwner(id: string): AppRecord | CorpRecord {
    const owner = this.owner(id);
    if (!owner) throw new NotFoundError(`no app or corp ${id} is registered`);
    return owner;
  }
}

function checkId(name: string, value: unknown): string {
  if (typeof value !== 'string' || !ID_PATTERN.test(value)) {
    throw new InvalidRequestError(`${name} must be 1-64 characters of A-Z a-z 0-9 _ . -, got ${JSON.stringify(value)}`);
  }
  return value;
}

function checkSecret(name: string, value: unknown): string {
  // The value is never echoed: it is a secret.
  if (typeof value !== 'string' || value.length === 0 || value.length > 256) {
    throw new InvalidRequestError(`${name} must be a non-empty string of at most 256 characters`);
  }
  return value;
}
