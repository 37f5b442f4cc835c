import { createHash, timingSafeEqual } from 'node:crypto';
import { ConflictError, InvalidRequestError, NotFoundError } from '../errors/index.js';
import { WindowCounter, minuteIndex, shanghaiDay, shanghaiMonth } from './calendar.js';
import type { CorpInput, ResolvedSimulatorOptions } from './options.js';
import { CredentialSlot, type Credential, type SlotView } from './credential-slot.js';
import { OwnerCounters, type CountersSnapshot, type FetchKind } from './counters.js';
import { FaultRegistry, type Fault, type FaultSpec } from './faults.js';
import { IpAllowList } from './ip-allow-list.js';
import { LoginCodes } from './login-codes.js';
import { Components } from './open-platform/components.js';
import { ComponentPusher } from './open-platform/pusher.js';
import type { KnownTicket } from './signature-check.js';
import { decideTicket, ticketExpiresIn } from './ticket-policy.js';
import { isWellFormedToken, newAccessToken, newTicket } from './token-shape.js';
import { expiresInSeconds, wechatError, type WeChatErrorBody } from './wechat-reply.js';
import {
  DEFAULT_AGENTID,
  corpAppKey,
  corpAppView,
  defaultApp,
  newCorp,
  newCorpApp,
  type CorpAppInput,
  type CorpAppRecord,
  type CorpAppView,
  type CorpRecord,
} from './wecom-corp.js';
import { WECOM_ERRMSG } from '../wechat/wecom-errmsg.js';
import { wecomError } from './wecom-reply.js';

export type { CorpAppRecord, CorpRecord } from './wecom-corp.js';

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

/** The outcome of presenting an access token: accepted, or the errcode WeChat answers (decision 2). */
export type TokenCheck =
  | { readonly ok: true; readonly owner: AppRecord | CorpRecord; readonly family: TokenFamily; readonly corpApp?: CorpAppRecord }
  | { readonly ok: false; readonly errcode: 41001 | 40014 | 40001 | 42001; readonly owner?: AppRecord | CorpRecord; readonly corpApp?: CorpAppRecord };

/** What the control API shows of one WeCom app's token and agent_config ticket. */
export interface CorpAppTokensView {
  wecom: SlotView;
  agent_config: SlotView;
}

/** A credential handed out, with its whole-second lifetime as the wire shows it. */
export interface Issued {
  readonly credential: Credential;
  readonly expiresIn: number;
  readonly rotated: boolean;
}

/** What the control API shows of an app's or corp's credentials (tokens included: the control API is for tests). */
export type TokensView =
  | { appid: string; classic: SlotView; stable: SlotView; tickets: { jsapi: SlotView; wx_card: SlotView } }
  | {
      corpid: string;
      /** The default (first registered) app's token and agent_config ticket, as the single-secret view showed. */
      wecom: SlotView;
      tickets: { jsapi: SlotView; agent_config: SlotView };
      apps: Record<string, CorpAppTokensView>;
    };

/** Result of fetching a ticket "from elsewhere". */
export interface TicketFetchResult {
  readonly rotated: boolean;
  readonly ticket: string;
  readonly expires_in: number;
  readonly issuedAt: number;
  readonly expiresAt: number;
}

/** Result of rotating a token "from elsewhere". */
export interface RotateResult {
  readonly rotated: boolean;
  readonly access_token: string;
  readonly expires_in: number;
}

// Enough to remember every token a long test run issues, bounded so a bench run cannot grow memory without end.
const MAX_REMEMBERED_TOKENS = 100_000;
// Tickets each slot remembers for the signature check to tell "expired ticket" from "mismatch": at one ticket per
// lifetime that is days of compressed test time.
const MAX_REMEMBERED_TICKETS = 64;
const ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * The simulator's whole model: registered apps and corps, their tokens, tickets, quotas and counters, and the
 * armed faults. Pure logic over the injected clock and random source; the HTTP layer only translates.
 */
export class SimulatorState {
  readonly options: ResolvedSimulatorOptions;
  readonly faults = new FaultRegistry();
  /** One-time user login codes (jscode2session, web OAuth) and what their exchanges answered. */
  readonly logins: LoginCodes;
  /** Open Platform components, their authorizers and the pushes to their event URLs. */
  readonly components: Components;
  readonly pusher: ComponentPusher;
  readonly #apps = new Map<string, AppRecord>();
  readonly #corps = new Map<string, CorpRecord>();
  readonly #issued = new Map<string, { owner: AppRecord | CorpRecord; family: TokenFamily; corpApp?: CorpAppRecord }>();
  readonly #unattributed = new OwnerCounters();
  readonly #ticketHistory = new WeakMap<CredentialSlot, Credential[]>();

  constructor(options: ResolvedSimulatorOptions) {
    this.options = options;
    this.logins = new LoginCodes(() => this.now(), options.random);
    this.components = new Components(this);
    this.pusher = new ComponentPusher(this, this.components);
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
    const allowList = parseAllowList(input.ipAllowList);
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

  /**
   * Registers a WeCom corp with its apps, or adds apps to / replaces app secrets of a registered one (tokens are
   * kept; `resetCorpSecret` is the reset that invalidates them). `secret` alone is one agent app, agentid 1000002
   * unless `agentid` says otherwise. Nothing changes unless every app in the input is valid.
   */
  registerCorp(input: CorpInput): { corpid: string; created: boolean; apps: CorpAppView[] } {
    const corpid = checkId('corpid', input?.corpid);
    if (this.#apps.has(corpid)) throw new ConflictError(`${corpid} is already registered as an app`);
    if (input.apps !== undefined && !Array.isArray(input.apps)) throw new InvalidRequestError('apps must be an array');
    const inputs: CorpAppInput[] = [...(input.apps ?? [])];
    if (input.secret !== undefined) {
      inputs.unshift({ agentid: input.agentid ?? DEFAULT_AGENTID, secret: input.secret, ...(input.ipAllowList && { ipAllowList: input.ipAllowList }) });
    } else if (input.agentid !== undefined || input.ipAllowList !== undefined) {
      throw new InvalidRequestError('agentid and ipAllowList at the top level go with secret');
    }
    const existing = this.#corps.get(corpid);
    if (!existing && inputs.length === 0) throw new InvalidRequestError('a corp needs a secret or at least one app');
    const corp = existing ?? newCorp(corpid);
    this.#upsertCorpApps(corp, inputs);
    if (!existing) this.#corps.set(corpid, corp);
    return { corpid, created: !existing, apps: [...corp.apps.values()].map(corpAppView) };
  }

  /** Adds an app to a registered corp, or replaces its secret and allow-list (tokens kept). */
  registerCorpApp(corpid: string, input: CorpAppInput): { app: CorpAppView; created: boolean } {
    const corp = this.#requireCorp(corpid);
    const key = corpAppKey(input ?? {}).key;
    const created = !corp.apps.has(key);
    this.#upsertCorpApps(corp, [input]);
    return { app: corpAppView(corp.apps.get(key)!), created };
  }

  /** The apps of a registered corp, without secrets. */
  listCorpApps(corpid: string): CorpAppView[] {
    return [...this.#requireCorp(corpid).apps.values()].map(corpAppView);
  }

  /**
   * Resets an app's secret as the WeCom console does: the old secret stops working and the app's tokens die at once
   * (40001 when presented); the next gettoken with the new secret issues a new token. Tickets are not tokens and stay.
   */
  resetCorpSecret(corpid: string, key: string, secret: unknown): { app: CorpAppView; invalidated: number } {
    const corp = this.#requireCorp(corpid);
    const app = this.#requireCorpApp(corp, key);
    const checked = checkSecret('secret', secret);
    this.#checkDistinctSecrets(corp, new Map([[app.key, checked]]));
    const view = app.token.view();
    const invalidated = [view.current, view.previous].filter((c) => c !== null && this.now() < c.validUntil).length;
    app.secret = checked;
    app.token.clear();
    return { app: corpAppView(app), invalidated };
  }

  /** The corp app with this key (agentid or name), if any. */
  corpApp(corp: CorpRecord, key: string | number | undefined): CorpAppRecord | undefined {
    return key === undefined ? undefined : corp.apps.get(String(key));
  }

  /** The app of `corp` whose secret is `given`; every app is compared, in constant time each. */
  corpAppBySecret(corp: CorpRecord, given: string): CorpAppRecord | undefined {
    let found: CorpAppRecord | undefined;
    for (const app of corp.apps.values()) if (constantTimeEqual(app.secret, given)) found = app;
    return found;
  }

  /** The key of the corp app `token` was issued to, if the simulator remembers issuing it. */
  tokenCorpAppKey(token: string | undefined): string | undefined {
    return token === undefined ? undefined : this.#issued.get(token)?.corpApp?.key;
  }

  /** Counters of one corp app; throws NotFoundError for an unknown corp or app. */
  corpAppCounters(corpid: string, key: string): CountersSnapshot {
    return this.#requireCorpApp(this.#requireCorp(corpid), key).counters.snapshot();
  }

  /**
   * Takes one WeCom ticket call from the hourly allowances (per corp and per app, each endpoint on its own, §7.2);
   * false when either is used up (45009). Nothing is taken then.
   */
  takeWecomTicketCall(corp: CorpRecord, app: CorpAppRecord, endpoint: 'jsapi' | 'agent_config'): boolean {
    const now = this.now();
    const corpCounter = endpoint === 'jsapi' ? corp.jsapiHourly : corp.agentConfigHourly;
    const appCounter = endpoint === 'jsapi' ? app.jsapiHourly : app.agentConfigHourly;
    const { wecomTicketCorpHourlyLimit: corpLimit, wecomTicketAppHourlyLimit: appLimit } = this.options;
    if (corpCounter.used(now) >= corpLimit || appCounter.used(now) >= appLimit) return false;
    corpCounter.tryTake(now, corpLimit);
    appCounter.tryTake(now, appLimit);
    return true;
  }

  /** An error body for a WeCom endpoint, in the configured style (WeChat's rid suffix or WeCom's hint form). */
  wecomError(errcode: number, ip: string, text?: string): WeChatErrorBody {
    if (this.options.wecomErrmsgStyle === 'rid') return this.error(errcode, text ?? WECOM_ERRMSG.get(errcode));
    return wecomError(errcode, this.now(), this.options.random, ip, text);
  }

  /** Counts an answered credential request under its owner (and its corp app, for WeCom). */
  countFetch(owner: AppRecord | CorpRecord, corpApp: CorpAppRecord | undefined, kind: FetchKind, rotated: boolean): void {
    owner.counters.fetched(kind, rotated);
    corpApp?.counters.fetched(kind, rotated);
  }

  #upsertCorpApps(corp: CorpRecord, inputs: readonly CorpAppInput[]): void {
    // Validate everything first so a bad entry leaves the corp as it was.
    const prepared = inputs.map((input) => {
      if (input === null || typeof input !== 'object') throw new InvalidRequestError('each corp app must be an object');
      const id = corpAppKey(input);
      const secret = checkSecret('secret', input.secret);
      const allowList = parseAllowList(input.ipAllowList);
      return { id, secret, allowList };
    });
    const keys = prepared.map((p) => p.id.key);
    const duplicate = keys.find((k, i) => keys.indexOf(k) !== i);
    if (duplicate !== undefined) throw new InvalidRequestError(`corp app ${duplicate} is listed twice`);
    this.#checkDistinctSecrets(corp, new Map(prepared.map((p) => [p.id.key, p.secret])));
    for (const { id, secret, allowList } of prepared) {
      const existing = corp.apps.get(id.key);
      if (existing) {
        existing.secret = secret;
        existing.allowList = allowList;
      } else {
        corp.apps.set(id.key, newCorpApp(id, secret, allowList));
      }
    }
  }

  // gettoken finds the app by its secret, so two apps of one corp must never share one.
  #checkDistinctSecrets(corp: CorpRecord, changes: ReadonlyMap<string, string>): void {
    const secrets = new Map<string, string>();
    for (const app of corp.apps.values()) secrets.set(app.key, app.secret);
    for (const [key, secret] of changes) secrets.set(key, secret);
    const seen = new Set<string>();
    for (const secret of secrets.values()) {
      if (seen.has(secret)) throw new ConflictError(`two apps of corp ${corp.id} would share one secret`);
      seen.add(secret);
    }
  }

  #requireCorp(corpid: string): CorpRecord {
    const corp = this.#corps.get(corpid);
    if (!corp) throw new NotFoundError(`no corp ${corpid} is registered`);
    return corp;
  }

  #requireCorpApp(corp: CorpRecord, key: string): CorpAppRecord {
    const app = corp.apps.get(key);
    if (!app) throw new NotFoundError(`corp ${corp.id} has no app ${key}`);
    return app;
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

  /** Zeroes the counters of an app or corp (and of the corp's apps). */
  resetCounters(id: string): void {
    const owner = this.#requireOwner(id);
    owner.counters.reset();
    if (owner.kind === 'corp') for (const app of owner.apps.values()) app.counters.reset();
  }

  /** Arms a fault (see FaultSpec). */
  injectFault(spec: FaultSpec): Fault {
    return this.faults.add(spec);
  }

  /** Disarms every fault; returns how many were armed. */
  clearFaults(): number {
    return this.faults.clear();
  }

  /** Whether `given` equals `expected` (a secret), compared in constant time. */
  secretEquals(expected: string, given: string): boolean {
    return constantTimeEqual(expected, given);
  }

  /** Whether `given` is the secret of `app`, compared in constant time. */
  secretMatches(app: AppRecord, given: string): boolean {
    return constantTimeEqual(app.secret, given);
  }

  /** Judges a presented access token; `accept` lists the families the endpoint serves (others are unknown there). */
  checkToken(token: string | undefined, accept: readonly TokenFamily[]): TokenCheck {
    if (token === undefined || token === '') return { ok: false, errcode: 41001 };
    if (!isWellFormedToken(token)) return { ok: false, errcode: 40014 };
    const entry = this.#issued.get(token);
    if (!entry) return { ok: false, errcode: 40001 };
    // A token of another family is one this host never issued (WeCom and OA live on different hosts).
    const corpApp = entry.corpApp;
    if (!accept.includes(entry.family)) return { ok: false, errcode: 40001, owner: entry.owner, ...(corpApp && { corpApp }) };
    const status = this.#slotOf(entry.owner, entry.family, corpApp).status(token, this.now());
    if (status === 'valid') return { ok: true, owner: entry.owner, family: entry.family, ...(corpApp && { corpApp }) };
    // undefined: the slot forgot it (a secret reset) — as dead as a superseded token.
    return { ok: false, errcode: status === 'expired' ? 42001 : 40001, owner: entry.owner, ...(corpApp && { corpApp }) };
  }

  /** The id of the app or corp that was issued `token`, if the simulator remembers issuing it. */
  tokenOwnerId(token: string | undefined): string | undefined {
    return token === undefined ? undefined : this.#issued.get(token)?.owner.id;
  }

  /** Counts a business call by outcome, under its owner when the token names one. */
  countBusiness(owner: AppRecord | CorpRecord | undefined, outcome: 'ok' | number, corpApp?: CorpAppRecord): void {
    (owner?.counters ?? this.#unattributed).business(outcome);
    corpApp?.counters.business(outcome);
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

  /** WeCom gettoken for one app (default: the corp's first): the same token while valid, a new one after (decision 5). */
  wecomToken(corp: CorpRecord, app: CorpAppRecord | undefined = defaultApp(corp)): Issued {
    if (!app) throw new NotFoundError(`corp ${corp.id} has no app`);
    const now = this.now();
    const live = app.token.live(now);
    if (live) return { credential: live, expiresIn: expiresInSeconds(live.expiresAt, now), rotated: false };
    return this.#rotate(app.token, Number.POSITIVE_INFINITY, corp, 'wecom', app);
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
    const history = this.#ticketHistory.get(slot) ?? [];
    history.push(credential);
    if (history.length > MAX_REMEMBERED_TICKETS) history.shift();
    this.#ticketHistory.set(slot, history);
    return { credential, expiresIn, rotated: true };
  }

  /** Every ticket `slot` issued (the last 64), each with the instant it stops or stopped being valid. */
  knownTickets(slot: CredentialSlot): KnownTicket[] {
    const { current, previous } = slot.view();
    return (this.#ticketHistory.get(slot) ?? []).map((credential) => {
      // Older than previous: dead since it was superseded twice; 0 marks "not valid now".
      let validUntil = 0;
      if (credential.value === current?.value) validUntil = current.validUntil;
      else if (credential.value === previous?.value) validUntil = previous.validUntil;
      return { credential, validUntil };
    });
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

  /**
   * Another system fetches a ticket: `jsapi` / `wx_card` of an app, or a corp's `jsapi` / an agent's
   * `agent_config` (`agentid`, default the corp's first app). Follows ticketRotation; bypasses tokens, quotas and
   * counters. Lets a test give a ticket an age before the client under test first sees it.
   */
  fetchTicketElsewhere(id: string, type: string, agentid?: string | number): TicketFetchResult {
    const owner = this.#requireOwner(id);
    let slot: CredentialSlot;
    if (owner.kind === 'app') {
      if (type !== 'jsapi' && type !== 'wx_card') throw new InvalidRequestError('an app ticket type is jsapi or wx_card');
      slot = owner.tickets[type];
    } else if (type === 'jsapi') {
      slot = owner.tickets.jsapi;
    } else if (type === 'agent_config') {
      const app = agentid === undefined ? defaultApp(owner) : this.corpApp(owner, agentid);
      if (!app) throw new NotFoundError(`corp ${owner.id} has no app ${String(agentid)}`);
      slot = app.agentConfigTicket;
    } else {
      throw new InvalidRequestError('a corp ticket type is jsapi or agent_config');
    }
    const issued = this.issueTicket(slot);
    const { value, issuedAt, expiresAt } = issued.credential;
    return { rotated: issued.rotated, ticket: value, expires_in: issued.expiresIn, issuedAt, expiresAt };
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
    const first = defaultApp(owner);
    const empty: SlotView = { current: null, previous: null };
    const apps: Record<string, CorpAppTokensView> = {};
    for (const app of owner.apps.values()) apps[app.key] = { wecom: app.token.view(), agent_config: app.agentConfigTicket.view() };
    return {
      corpid: owner.id,
      wecom: first?.token.view() ?? empty,
      tickets: { jsapi: owner.tickets.jsapi.view(), agent_config: first?.agentConfigTicket.view() ?? empty },
      apps,
    };
  }

  /**
   * Starts tracking a credential-endpoint request for `id` (if registered) and, for a corp, its app `appKey` (if
   * known); call the result when it ends.
   */
  beginTokenRequest(id: string | undefined, kind: FetchKind, appKey?: string): () => void {
    const owner = this.owner(id);
    if (!owner) return () => {};
    const endOwner = owner.counters.begin(kind);
    const app = owner.kind === 'corp' ? this.corpApp(owner, appKey) : undefined;
    const endApp = app?.counters.begin(kind);
    return () => {
      endOwner();
      endApp?.();
    };
  }

  #rotate(slot: CredentialSlot, previousDeadline: number, owner: AppRecord | CorpRecord, family: TokenFamily, corpApp?: CorpAppRecord): Issued {
    const now = this.now();
    const credential = { value: newAccessToken(this.options.random), issuedAt: now, expiresAt: now + this.options.tokenTtlMs };
    slot.rotate(credential, previousDeadline);
    this.#issued.set(credential.value, { owner, family, ...(corpApp && { corpApp }) });
    if (this.#issued.size > MAX_REMEMBERED_TOKENS) {
      const oldest = this.#issued.keys().next().value;
      if (oldest !== undefined) this.#issued.delete(oldest);
    }
    return { credential, expiresIn: expiresInSeconds(credential.expiresAt, now), rotated: true };
  }

  #slotOf(owner: AppRecord | CorpRecord, family: TokenFamily, corpApp: CorpAppRecord | undefined): CredentialSlot {
    if (owner.kind === 'corp') return corpApp?.token ?? new CredentialSlot();
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

function constantTimeEqual(expected: string, given: string): boolean {
  // Hashing first makes the comparison independent of both lengths.
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}

function checkSecret(name: string, value: unknown): string {
  // The value is never echoed: it is a secret.
  if (typeof value !== 'string' || value.length === 0 || value.length > 256) {
    throw new InvalidRequestError(`${name} must be a non-empty string of at most 256 characters`);
  }
  return value;
}

/** A control-API `ipAllowList` (absent: allow every address), or InvalidRequestError naming what is wrong. */
function parseAllowList(entries: unknown): IpAllowList {
  try {
    const list = entries ?? [];
    if (!Array.isArray(list)) throw new TypeError('ipAllowList must be an array of strings');
    return new IpAllowList(list);
  } catch (err) {
    throw new InvalidRequestError((err as Error).message);
  }
}
