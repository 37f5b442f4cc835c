import { EventEmitter } from 'node:events';
import {
  CredentialsRejectedError,
  QuotaExhaustedError,
  StoreUnavailableError,
  UpstreamUnavailableError,
  WeChatError,
  WxTokenError,
} from '../errors/index.js';
import type { AppRecord, CredentialRecord, ForceLog, RefreshFailure, Store } from '../stores/store.js';
import type { ErrcodeCategory } from '../wechat/errcodes.js';
import type { CancelTimer, Clock } from './clock.js';
import { sleep } from './clock.js';
import type { Logger } from './logger.js';
import { decideOnFailure, scaleForLifetime, shanghaiDay, WECHAT_TOKEN_LIFETIME_MS } from './refresh-policy.js';
import { SingleFlight } from './single-flight.js';
import type { TokenFetcher } from './token-fetcher.js';
import type { AppStatus, HubEventMap, IssuedToken, RefreshReason } from './token-service.js';

/**
 * Refresh this long before expiry (for a 7200 s token; scaled down for shorter ones). It must stay inside WeChat's
 * 300 s overlap: a classic refresh kills the old token 300 s later, and callers hold the old token until its own
 * expiry; a stable normal-mode call only rotates within the last 300 s. 180 s leaves two minutes of retries.
 */
export const DEFAULT_REFRESH_LEAD_MS = 180_000;
/** Stop handing out a token this long before it expires: covers the caller's request latency and clock error. */
export const DEFAULT_SERVE_MARGIN_MS = 30_000;
/** A refresh lease outlives the upstream timeout (10 s) with room, and bounds a dead holder's stall. */
export const DEFAULT_LEASE_TTL_MS = 30_000;
/** First retry after a transient failure; doubles per attempt up to the max. */
export const DEFAULT_BACKOFF_BASE_MS = 1_000;
export const DEFAULT_BACKOFF_MAX_MS = 60_000;
/** WeChat: force refreshes of stable tokens must be ≥ 30 s apart, at most 20 a day ("otherwise no refresh"). */
export const DEFAULT_FORCE_SPACING_MS = 30_000;
export const DEFAULT_FORCE_DAILY_LIMIT = 20;
/** After an error a human must fix in the WeChat console (IP confirmation: 1 h block), try again this much later. */
export const DEFAULT_ADMIN_RETRY_MS = 3_600_000;
/** While waiting on another instance's refresh, re-read the store this often in case its event was lost. */
export const DEFAULT_WAIT_POLL_MS = 250;
/** How early a timer may fire by the wall clock and still count as due. */
const TIMER_SLACK_MS = 5;
/** After a store failure in a background refresh, try again this much later. */
export const DEFAULT_STORE_RETRY_MS = 2_000;

/** Options of the credential manager; every duration in milliseconds. */
export interface CredentialManagerOptions {
  store: Store;
  fetcher: TokenFetcher;
  /** Returns the plaintext secret of an app (decrypted on demand, never cached). */
  openSecret: (app: AppRecord) => string;
  clock: Clock;
  random: () => number;
  logger: Logger;
  /** Identifies this instance as a lease owner. */
  instanceId: string;
  refreshLeadMs?: number;
  serveMarginMs?: number;
  /** Lifetime for which refreshLeadMs and serveMarginMs are meant; shorter tokens get proportionally less. */
  referenceLifetimeMs?: number;
  leaseTtlMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  forceSpacingMs?: number;
  forceDailyLimit?: number;
  adminRetryMs?: number;
  waitPollMs?: number;
  storeRetryMs?: number;
  /** Fetch a token for every app without one as soon as it is known (default true). */
  prefetch?: boolean;
  /**
   * Refresh proactively on timers (default true). A short-lived process (a CLI command) sets false: it must
   * neither start refreshes it would abandon on exit nor race the running hub for them.
   */
  background?: boolean;
}

type Intent =
  /** A caller needs a valid token. */
  | { readonly mode: 'ensure'; readonly reason: RefreshReason }
  /** The refresh timer fired: refresh if the token is within its lead time. */
  | { readonly mode: 'scheduled' }
  /** A caller reported `badToken`: refresh only if it is still the current one. */
  | { readonly mode: 'invalidate'; readonly badToken: string }
  /** An operator asked for a token other than `previous`. */
  | { readonly mode: 'force'; readonly previous: string | null };

interface Entry {
  app: AppRecord;
  cred: CredentialRecord | null;
  /** The token as handed to callers (expiresAt = end of its serving window), or null when none may be served. */
  issued: IssuedToken | null;
  refreshAt: number;
  cancelTimer: CancelTimer | undefined;
}

/** The credential key of an app's access token in the store. */
export function accessTokenKey(appid: string): string {
  return `${appid}:access_token`;
}

/**
 * Keeps every app's access token valid: proactive refresh before expiry, one upstream fetch at a time per app
 * (single-flight within the process, a store lease across processes), compare-and-invalidate, backoff by
 * errcode class, and adoption of tokens other instances publish.
 */
export class CredentialManager {
  readonly events = new EventEmitter<HubEventMap>();
  readonly #o: Required<Omit<CredentialManagerOptions, 'store' | 'fetcher' | 'openSecret' | 'clock' | 'random' | 'logger' | 'instanceId'>>;
  readonly #store: Store;
  readonly #fetcher: TokenFetcher;
  readonly #openSecret: (app: AppRecord) => string;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #log: Logger;
  readonly #owner: string;
  readonly #entries = new Map<string, Entry>();
  readonly #flights = new SingleFlight<string, IssuedToken>();
  readonly #waiters = new Map<string, Set<() => void>>();
  #stopped = false;

  constructor(options: CredentialManagerOptions) {
    this.#store = options.store;
    this.#fetcher = options.fetcher;
    this.#openSecret = options.openSecret;
    this.#clock = options.clock;
    this.#random = options.random;
    this.#log = options.logger;
    this.#owner = options.instanceId;
    this.#o = {
      refreshLeadMs: options.refreshLeadMs ?? DEFAULT_REFRESH_LEAD_MS,
      serveMarginMs: options.serveMarginMs ?? DEFAULT_SERVE_MARGIN_MS,
      referenceLifetimeMs: options.referenceLifetimeMs ?? WECHAT_TOKEN_LIFETIME_MS,
      leaseTtlMs: options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS,
      backoffBaseMs: options.backoffBaseMs ?? DEFAULT_BACKOFF_BASE_MS,
      backoffMaxMs: options.backoffMaxMs ?? DEFAULT_BACKOFF_MAX_MS,
      forceSpacingMs: options.forceSpacingMs ?? DEFAULT_FORCE_SPACING_MS,
      forceDailyLimit: options.forceDailyLimit ?? DEFAULT_FORCE_DAILY_LIMIT,
      adminRetryMs: options.adminRetryMs ?? DEFAULT_ADMIN_RETRY_MS,
      waitPollMs: options.waitPollMs ?? DEFAULT_WAIT_POLL_MS,
      storeRetryMs: options.storeRetryMs ?? DEFAULT_STORE_RETRY_MS,
      prefetch: options.prefetch ?? true,
      background: options.background ?? true,
    };
    for (const [name, value] of Object.entries(this.#o)) {
      if (typeof value === 'number' && !(Number.isFinite(value) && value >= 0)) {
        throw new RangeError(`option ${name} must be a non-negative number, got ${String(value)}`);
      }
    }
    if (this.#o.serveMarginMs >= this.#o.refreshLeadMs) {
      throw new RangeError(`option serveMarginMs (${this.#o.serveMarginMs}) must be smaller than refreshLeadMs (${this.#o.refreshLeadMs})`);
    }
  }

  /** Starts managing an app, or updates it (secret or grant changed). */
  upsertApp(app: AppRecord, cred: CredentialRecord | null): void {
    const entry = this.#entries.get(app.appid);
    if (entry) {
      entry.app = app;
      if (cred && (!entry.cred || cred.version > entry.cred.version)) this.#setCred(entry, cred);
      this.#schedule(entry);
      return;
    }
    const fresh: Entry = { app, cred: null, issued: null, refreshAt: 0, cancelTimer: undefined };
    this.#entries.set(app.appid, fresh);
    if (cred) this.#setCred(fresh, cred);
    this.#schedule(fresh);
  }

  /** Stops managing an app (deleted). */
  dropApp(appid: string): void {
    const entry = this.#entries.get(appid);
    entry?.cancelTimer?.();
    this.#entries.delete(appid);
    this.#wake(appid);
  }

  /** Whether the app is managed here. */
  has(appid: string): boolean {
    return this.#entries.has(appid);
  }

  /** The app record as last seen. */
  app(appid: string): AppRecord | undefined {
    return this.#entries.get(appid)?.app;
  }

  /** Appids managed here. */
  appids(): string[] {
    return [...this.#entries.keys()];
  }

  /** The held token if it may be served now, else undefined. */
  peek(appid: string): IssuedToken | undefined {
    const issued = this.#entries.get(appid)?.issued;
    return issued && this.#clock.now() < issued.expiresAt ? issued : undefined;
  }

  /** A valid token for the app: from memory when one is held, else one shared fetch. */
  get(appid: string): Promise<IssuedToken> {
    const entry = this.#entries.get(appid);
    const issued = entry?.issued;
    if (issued && this.#clock.now() < issued.expiresAt) return Promise.resolve(issued);
    return this.#fly(appid, { mode: 'ensure', reason: entry?.cred?.token ? 'expired' : 'initial' }).promise;
  }

  /** Compare-and-invalidate: refreshes only if `badToken` is still the current token. */
  async invalidate(appid: string, badToken: string): Promise<IssuedToken> {
    const entry = this.#entries.get(appid);
    if (entry?.cred?.token && entry.cred.token !== badToken && entry.issued && this.#clock.now() < entry.issued.expiresAt) {
      this.events.emit('invalidated', { appid, stale: true });
      return entry.issued;
    }
    // A flight already under way (say, a scheduled refresh) may settle on the reported token; then run our own.
    for (let round = 0; round < 2; round++) {
      const { promise, joined } = this.#fly(appid, { mode: 'invalidate', badToken });
      const result = await promise;
      if (result.token !== badToken || !joined) return result;
    }
    return this.#fly(appid, { mode: 'invalidate', badToken }).promise;
  }

  /** Operator-forced refresh (stable grant: a force-mode call, within WeChat's spacing and daily limit). */
  async forceRefresh(appid: string): Promise<IssuedToken> {
    const previous = this.#entries.get(appid)?.cred?.token ?? null;
    for (;;) {
      const { promise, joined } = this.#fly(appid, { mode: 'force', previous });
      const result = await promise;
      if (!joined || result.token !== previous) return result;
    }
  }

  /** Adopts a record another instance wrote, if it is newer than ours. */
  adopt(record: CredentialRecord): void {
    const appid = record.key.slice(0, record.key.lastIndexOf(':'));
    const entry = this.#entries.get(appid);
    if (!entry || (entry.cred && entry.cred.version >= record.version)) return;
    const tokenChanged = entry.cred?.token !== record.token;
    this.#setCred(entry, record);
    this.#schedule(entry);
    if (tokenChanged && record.token) this.events.emit('adopted', { appid, expiresAt: record.expiresAt });
  }

  /** Reacts to a store event about a credential: re-reads it when it is newer than what is held. */
  async onCredentialEvent(key: string, version: number): Promise<void> {
    const appid = key.slice(0, key.lastIndexOf(':'));
    const entry = this.#entries.get(appid);
    if (!entry || key !== accessTokenKey(appid) || (entry.cred && entry.cred.version >= version)) return;
    const record = await this.#store.getCredential(key);
    if (record) this.adopt(record);
  }

  /** Status of every app, for the admin API. */
  statuses(): AppStatus[] {
    const now = this.#clock.now();
    return [...this.#entries.values()]
      .map((entry) => this.#status(entry, now))
      .sort((a, b) => a.appid.localeCompare(b.appid));
  }

  /**
   * Cancels every timer and resolves once refreshes in progress have finished (a fetched token is written before
   * the store closes). Flights that have not taken a lease yet give up.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const entry of this.#entries.values()) entry.cancelTimer?.();
    for (const appid of this.#waiters.keys()) this.#wake(appid);
    await this.#flights.settled();
  }

  #status(entry: Entry, now: number): AppStatus {
    const { app, cred } = entry;
    const failure = cred?.failure ?? null;
    const valid = Boolean(entry.issued && now < entry.issued.expiresAt);
    let state: AppStatus['state'];
    if (failure && failure.retryAt === undefined) state = 'failed';
    else if (failure) state = 'retrying';
    else state = valid ? 'ok' : 'pending';
    return {
      appid: app.appid,
      grant: app.grant,
      state,
      tokenExpiresAt: cred?.token ? cred.expiresAt : null,
      lastRefreshAt: cred?.obtainedAt || null,
      nextAttemptAt: failure ? (failure.retryAt ?? null) : cred?.token ? entry.refreshAt : null,
      lastError: failure ? { code: failure.code, message: failure.message, ...(failure.errcode !== undefined && { errcode: failure.errcode }), at: failure.at } : null,
      createdAt: app.createdAt,
      updatedAt: app.updatedAt,
    };
  }

  #setCred(entry: Entry, cred: CredentialRecord): void {
    entry.cred = cred;
    if (cred.token && cred.expiresAt > 0) {
      const lifetime = cred.expiresAt - cred.obtainedAt;
      const margin = scaleForLifetime(this.#o.serveMarginMs, lifetime, this.#o.referenceLifetimeMs);
      const lead = scaleForLifetime(this.#o.refreshLeadMs, lifetime, this.#o.referenceLifetimeMs);
      entry.issued = { token: cred.token, expiresAt: Math.floor(cred.expiresAt - margin) };
      entry.refreshAt = cred.expiresAt - lead;
    } else {
      entry.issued = null;
      entry.refreshAt = 0;
    }
    this.#wake(entry.app.appid);
  }

  #schedule(entry: Entry): void {
    entry.cancelTimer?.();
    entry.cancelTimer = undefined;
    if (this.#stopped || !this.#o.background) return;
    const { cred } = entry;
    const now = this.#clock.now();
    let at: number | undefined;
    if (cred?.failure) at = cred.failure.retryAt;
    else if (cred?.token) at = entry.refreshAt;
    else if (this.#o.prefetch) at = now;
    if (at === undefined) return;
    const appid = entry.app.appid;
    entry.cancelTimer = this.#clock.setTimer(() => {
      entry.cancelTimer = undefined;
      const current = (): boolean => this.#entries.get(appid) === entry && !this.#stopped && !entry.cancelTimer;
      this.#fly(appid, { mode: 'scheduled' }).promise.then(
        // A timer may fire a hair early by the wall clock, or the flight may have found nothing to do yet:
        // whenever a flight leaves the entry without a timer, schedule again from its state.
        () => current() && this.#schedule(entry),
        () => {
          // Refresh failures are recorded in the credential, whose adoption rescheduled the entry. Anything
          // else (store down, a lease wait that timed out) leaves no timer: look again shortly.
          if (current()) entry.cancelTimer = this.#clock.setTimer(() => this.#schedule(entry), this.#o.storeRetryMs);
        },
      );
    }, Math.max(0, at - now));
  }

  #fly(appid: string, intent: Intent): { promise: Promise<IssuedToken>; joined: boolean } {
    return this.#flights.run(appid, () => this.#obtain(appid, intent));
  }

  async #obtain(appid: string, intent: Intent): Promise<IssuedToken> {
    const lease = `refresh:${appid}`;
    const waitDeadline = this.#clock.now() + this.#o.leaseTtlMs * 2;
    for (;;) {
      if (this.#stopped) throw new UpstreamUnavailableError(`the hub is shutting down; no refresh for app ${appid}`);
      const entry = this.#requireEntry(appid);
      const record = await this.#read(entry);
      const verdict = this.#verdict(entry, record, intent);
      if (verdict !== 'refresh') return this.#serve(entry, intent);

      let waitUntil: number | undefined;
      if (await this.#store.acquireLease(lease, this.#owner, this.#o.leaseTtlMs)) {
        try {
          // Double-check under the lease: the previous holder may have just written a fresh token.
          const fresh = await this.#read(entry);
          if (this.#verdict(entry, fresh, intent) !== 'refresh') return this.#serve(entry, intent);
          const outcome = await this.#refreshUnderLease(entry, fresh, intent);
          if ('token' in outcome) return outcome;
          waitUntil = outcome.waitUntil;
        } finally {
          await this.#store.releaseLease(lease, this.#owner).catch(() => {});
        }
      }
      if (waitUntil !== undefined) {
        await sleep(this.#clock, waitUntil - this.#clock.now());
        continue;
      }
      if (this.#clock.now() >= waitDeadline) {
        throw new UpstreamUnavailableError(`timed out waiting for another instance to refresh app ${appid}`);
      }
      await this.#waitForChange(appid, this.#o.waitPollMs);
    }
  }

  /** Reads the record from the store and adopts it; on a store failure, falls back to what is held. */
  async #read(entry: Entry): Promise<CredentialRecord | null> {
    const record = await this.#store.getCredential(accessTokenKey(entry.app.appid));
    if (record) this.adopt(record);
    return entry.cred;
  }

  #verdict(entry: Entry, record: CredentialRecord | null, intent: Intent): 'refresh' | 'serve' {
    const now = this.#clock.now();
    const valid = Boolean(entry.issued && now < entry.issued.expiresAt);
    if (intent.mode === 'force') return valid && record?.token !== intent.previous ? 'serve' : 'refresh';
    // Node's timers and Date.now() run on different clocks: a timer set for T may fire at T − 1 ms.
    const dueBy = intent.mode === 'scheduled' ? now + TIMER_SLACK_MS : now;
    const failure = record?.failure;
    if (failure && (failure.retryAt === undefined || failure.retryAt > dueBy)) return 'serve';
    switch (intent.mode) {
      case 'ensure':
        return valid ? 'serve' : 'refresh';
      case 'scheduled':
        return valid && dueBy < entry.refreshAt && !failure ? 'serve' : 'refresh';
      case 'invalidate':
        if (valid && record?.token === intent.badToken && this.#forcesExhausted(entry, now)) {
          // Only a force could replace it and none is left today: another report must not cost another call.
          return 'serve';
        }
        return valid && record?.token !== intent.badToken ? 'serve' : 'refresh';
    }
  }

  /** The held token if it may be served, else the error that explains why not. */
  #serve(entry: Entry, intent: Intent): IssuedToken {
    const now = this.#clock.now();
    const failure = entry.cred?.failure;
    // A reported token is still handed back when only a force could replace it and none is left today.
    const invalidated = intent.mode === 'invalidate' && entry.cred?.token === intent.badToken && !this.#forcesExhausted(entry, now);
    if (entry.issued && now < entry.issued.expiresAt && !invalidated) return entry.issued;
    if (failure) throw failureError(entry.app.appid, failure, now);
    throw new UpstreamUnavailableError(`no valid token for app ${entry.app.appid} yet`);
  }

  async #refreshUnderLease(entry: Entry, record: CredentialRecord | null, intent: Intent): Promise<IssuedToken | { waitUntil: number }> {
    const { app } = entry;
    const startedAt = this.#clock.now();
    const stable = app.grant === 'stable';
    let forceLog = record?.forceLog ?? null;
    const reason: RefreshReason =
      intent.mode === 'force'
        ? 'forced'
        : intent.mode === 'invalidate'
          ? 'invalidated'
          : intent.mode === 'scheduled'
            ? record?.token ? 'scheduled' : 'initial'
            : intent.reason;
    try {
      const secret = this.#openSecret(app);
      // With no token to replace (a first fetch, a failed app), normal mode is enough and spends no force.
      let wantForce = stable && intent.mode === 'force' && intent.previous !== null;
      let token = wantForce ? null : await this.#fetcher.fetchToken({ appid: app.appid, secret, grant: app.grant }, { force: false });
      // Stable normal mode hands back the token WeChat considers current; if that is the one a caller reported
      // (someone else did not replace it), only a force refresh can replace it.
      if (stable && intent.mode === 'invalidate' && token?.token === intent.badToken) wantForce = true;
      if (wantForce) {
        const gate = this.#forceGate(forceLog, this.#clock.now());
        if ('waitUntil' in gate) return gate;
        if ('exhausted' in gate) {
          if (intent.mode === 'force') {
            throw new QuotaExhaustedError(`the daily limit of ${this.#o.forceDailyLimit} force refreshes for app ${app.appid} is used up`);
          }
          this.#log.warn({ appid: app.appid }, 'force refresh limit reached; keeping the token WeChat reports as current');
        } else {
          const today = shanghaiDay(this.#clock.now());
          // The spacing counts from when the call returned: WeChat saw it at some moment before that, never after,
          // so the next force can never reach WeChat inside its window, whatever the latency of either call.
          try {
            token = await this.#fetcher.fetchToken({ appid: app.appid, secret, grant: app.grant }, { force: true });
            forceLog = { day: today, count: (forceLog && forceLog.day === today ? forceLog.count : 0) + 1, lastAt: this.#clock.now() };
          } catch (err) {
            // 45009 on a force call means today's 20 forces are gone (spent elsewhere, or our count was lost). That
            // limits force mode only: normal mode has its own quota, so this must not become an app-wide failure.
            if (!(err instanceof WeChatError && err.category === 'quota')) throw err;
            forceLog = { day: today, count: this.#o.forceDailyLimit, lastAt: this.#clock.now() };
            if (intent.mode === 'force' || !token) {
              await this.#write(entry, record, { ...(record ?? emptyRecord(app.appid)), version: 0, forceLog });
              throw new QuotaExhaustedError(`WeChat refused a force refresh for app ${app.appid}: ${err.message}`);
            }
            this.#log.warn({ appid: app.appid }, 'WeChat refused a force refresh; keeping the token it reports as current');
          }
        }
      }
      if (!token) throw new UpstreamUnavailableError(`no token obtained for app ${app.appid}`);
      const next: CredentialRecord = {
        key: accessTokenKey(app.appid),
        version: 0,
        token: token.token,
        expiresAt: token.expiresAt,
        obtainedAt: startedAt,
        failure: null,
        forceLog,
      };
      await this.#write(entry, record, next);
      this.events.emit('refreshed', { appid: app.appid, expiresAt: token.expiresAt, durationMs: this.#clock.now() - startedAt, reason });
      this.#log.info({ appid: app.appid, reason, expiresAt: new Date(token.expiresAt).toISOString() }, 'token refreshed');
      return this.#serve(entry, { mode: 'ensure', reason });
    } catch (err) {
      if (err instanceof StoreUnavailableError || (err instanceof QuotaExhaustedError && intent.mode === 'force')) throw err;
      await this.#recordFailure(entry, record, err);
      if (intent.mode === 'force') throw this.#failureFor(entry, err);
      return this.#serve(entry, intent);
    }
  }

  #forcesExhausted(entry: Entry, now: number): boolean {
    return entry.app.grant === 'stable' && 'exhausted' in this.#forceGate(entry.cred?.forceLog ?? null, now);
  }

  #forceGate(log: ForceLog | null, now: number): { ok: true } | { waitUntil: number } | { exhausted: true } {
    if (!log) return { ok: true };
    if (log.day === shanghaiDay(now) && log.count >= this.#o.forceDailyLimit) return { exhausted: true };
    const earliest = log.lastAt + this.#o.forceSpacingMs;
    return now < earliest ? { waitUntil: earliest } : { ok: true };
  }

  async #recordFailure(entry: Entry, record: CredentialRecord | null, err: unknown): Promise<void> {
    const now = this.#clock.now();
    const category: ErrcodeCategory = err instanceof WeChatError ? err.category : 'transient';
    const errcode = err instanceof WeChatError ? err.errcode : undefined;
    const attempts = (record?.failure?.attempts ?? 0) + 1;
    const decision = decideOnFailure(category, errcode, {
      now,
      attempts,
      backoffBaseMs: this.#o.backoffBaseMs,
      backoffMaxMs: this.#o.backoffMaxMs,
      adminRetryMs: this.#o.adminRetryMs,
      random: this.#random,
    });
    const message = err instanceof Error ? err.message : String(err);
    const failure: RefreshFailure = {
      code: decision.code,
      message,
      ...(errcode !== undefined && { errcode }),
      category,
      at: now,
      ...(decision.retryAt !== undefined && { retryAt: Math.ceil(decision.retryAt) }),
      attempts,
    };
    const next: CredentialRecord = {
      key: accessTokenKey(entry.app.appid),
      version: 0,
      token: record?.token ?? null,
      expiresAt: record?.expiresAt ?? 0,
      obtainedAt: record?.obtainedAt ?? 0,
      failure,
      forceLog: record?.forceLog ?? null,
    };
    try {
      await this.#write(entry, record, next);
    } catch (writeErr) {
      this.#log.warn({ appid: entry.app.appid, err: String(writeErr) }, 'could not record refresh failure');
    }
    const event = { appid: entry.app.appid, code: decision.code, category, ...(errcode !== undefined && { errcode }), ...(failure.retryAt !== undefined && { retryAt: failure.retryAt }) };
    this.events.emit('refresh_failed', event);
    this.#log.warn({ ...event, message }, failure.retryAt === undefined ? 'refresh failed; app marked failed' : 'refresh failed; will retry');
  }

  #failureFor(entry: Entry, err: unknown): WxTokenError {
    const failure = entry.cred?.failure;
    if (failure) return failureError(entry.app.appid, failure, this.#clock.now());
    return err instanceof WxTokenError ? err : new UpstreamUnavailableError(String(err));
  }

  /** Compare-and-set write; when another writer won, adopts theirs instead. */
  async #write(entry: Entry, previous: CredentialRecord | null, next: CredentialRecord): Promise<void> {
    const expected = previous?.version ?? 0;
    if (await this.#store.putCredential(next, expected)) {
      this.adopt({ ...next, version: expected + 1 });
      return;
    }
    this.#log.warn({ appid: entry.app.appid }, 'another writer updated the credential first; adopting its version');
    const current = await this.#store.getCredential(next.key);
    if (current) this.adopt(current);
  }

  #requireEntry(appid: string): Entry {
    const entry = this.#entries.get(appid);
    if (!entry) throw new UpstreamUnavailableError(`app ${appid} is no longer managed`);
    return entry;
  }

  #waitForChange(appid: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      let waiters = this.#waiters.get(appid);
      if (!waiters) this.#waiters.set(appid, (waiters = new Set()));
      const done = (): void => {
        cancel();
        waiters.delete(done);
        resolve();
      };
      const cancel = this.#clock.setTimer(done, timeoutMs);
      waiters.add(done);
    });
  }

  #wake(appid: string): void {
    const waiters = this.#waiters.get(appid);
    if (!waiters) return;
    this.#waiters.delete(appid);
    for (const wake of waiters) wake();
  }
}

/** A credential record with no token yet. */
function emptyRecord(appid: string): CredentialRecord {
  return { key: accessTokenKey(appid), version: 0, token: null, expiresAt: 0, obtainedAt: 0, failure: null, forceLog: null };
}

/** The caller-facing error for a recorded refresh failure. */
export function failureError(appid: string, failure: RefreshFailure, now: number): WxTokenError {
  const retryAfterSeconds = failure.retryAt === undefined ? undefined : Math.max(1, Math.ceil((failure.retryAt - now) / 1000));
  const options = retryAfterSeconds === undefined ? {} : { retryAfterSeconds };
  switch (failure.code) {
    case 'credentials_rejected':
      return new CredentialsRejectedError(`WeChat rejected the credentials of app ${appid}: ${failure.message}`, options);
    case 'quota_exhausted':
      return new QuotaExhaustedError(`WeChat's quota for app ${appid} is exhausted: ${failure.message}`, options);
    default:
      return new UpstreamUnavailableError(`WeChat is unavailable for app ${appid}: ${failure.message}`, options);
  }
}
