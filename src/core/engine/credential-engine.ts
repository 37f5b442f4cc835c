import { EventEmitter } from 'node:events';
import {
  InvalidationThrottledError,
  QuotaExhaustedError,
  StoreUnavailableError,
  UpstreamUnavailableError,
  WeChatError,
  WxTokenError,
} from '../../errors/index.js';
import type { CredentialRecord, PrincipalRecord, Store } from '../../stores/store.js';
import type { Clock } from '../../util/clock.js';
import { sleep } from '../../util/clock.js';
import { credentialKey, StateChange, type CredentialKind, type ObtainedValue } from '../kinds/kind.js';
import { PRIMARY_SECRET, principalLabel, samePrincipal } from '../principals.js';
import type { Logger } from '../../util/logger.js';
import { WECHAT_TOKEN_LIFETIME_MS, scaleForLifetime } from '../refresh-policy.js';
import { SingleFlight } from '../single-flight.js';
import type { CredentialState, HubEventMap, IssuedToken } from '../token-service.js';
import { decide, inUse, invalidationFloorMs, reportIsStale, type CredentialView } from './decide.js';
import { failureError, failureRecord } from './failure.js';
import type { Intent, RefreshReason } from './intent.js';
import { DEFAULT_LEASE_TTL_MS, LeaseKeeper } from './lease.js';
import { servingWindow, type ServingWindow } from './serving-window.js';
import { TimerQueue } from './timer-queue.js';

/**
 * Refresh this long before expiry (for a 7200 s token; scaled down for shorter ones). It must stay inside WeChat's
 * 300 s overlap: a classic refresh kills the old token 300 s later, and callers hold the old token until its own
 * expiry; a stable normal-mode call only rotates within the last 300 s. 180 s leaves two minutes of retries.
 */
export const DEFAULT_REFRESH_LEAD_MS = 180_000;
/** Stop handing out a value this long before it expires: covers the caller's request latency and clock error. */
export const DEFAULT_SERVE_MARGIN_MS = 30_000;
/** First retry after a transient failure; doubles per attempt up to the max. */
export const DEFAULT_BACKOFF_BASE_MS = 1_000;
export const DEFAULT_BACKOFF_MAX_MS = 60_000;
/** After an error a human must fix in the WeChat console (IP confirmation: 1 h block), try again this much later. */
export const DEFAULT_ADMIN_RETRY_MS = 3_600_000;
/** While waiting on another instance's refresh, re-read the store this often in case its event was lost. */
export const DEFAULT_WAIT_POLL_MS = 250;
/**
 * How long a caller waits on another instance's refresh before giving up: the upstream timeout (10 s) plus a
 * lease TTL for a dead holder to be replaced, with room.
 */
export const DEFAULT_WAIT_TIMEOUT_MS = 20_000;
/** After a store failure in a background refresh, try again this much later. */
export const DEFAULT_STORE_RETRY_MS = 2_000;
/**
 * The invalidation floor for a 7200 s token (scaled for shorter ones): the second report-driven refresh in a row
 * needs the value to be this old, the third twice that, up to the max (see decide.ts, invalidationFloorMs).
 */
export const DEFAULT_INVALIDATION_FLOOR_MS = 60_000;
export const DEFAULT_INVALIDATION_FLOOR_MAX_MS = 32 * DEFAULT_INVALIDATION_FLOOR_MS;
/** How early a timer may fire by the wall clock and still count as due. */
const TIMER_SLACK_MS = 5;

/** Tuning of the credential engine; every duration in milliseconds, defaults above. */
export interface EngineTuning {
  refreshLeadMs?: number;
  serveMarginMs?: number;
  /** Lifetime for which refreshLeadMs, serveMarginMs and the invalidation floor are meant; shorter values get proportionally less. */
  referenceLifetimeMs?: number;
  /** Refresh lease TTL; the holder renews it every third of it (default 3 s). */
  leaseTtlMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  adminRetryMs?: number;
  waitPollMs?: number;
  waitTimeoutMs?: number;
  storeRetryMs?: number;
  invalidationFloorMs?: number;
  invalidationFloorMaxMs?: number;
  /** Fetch eager kinds (access tokens) for every principal without one as soon as it is known (default true). */
  prefetch?: boolean;
  /**
   * Refresh proactively on timers (default true). A short-lived process (a CLI command) sets false: it must
   * neither start refreshes it would abandon on exit nor race the running hub for them.
   */
  background?: boolean;
}

/** Options of the credential engine. */
export interface CredentialEngineOptions extends EngineTuning {
  store: Store;
  /** Every kind the engine runs; eager ones are tracked for every principal of their type, the others once asked for. */
  kinds: readonly CredentialKind[];
  /** Returns a principal's plaintext secret of that name (decrypted on demand, never cached). */
  openSecret: (principal: PrincipalRecord, name: string) => string;
  clock: Clock;
  random: () => number;
  logger: Logger;
  /** Identifies this instance as a lease owner. */
  instanceId: string;
}

/** One tracked credential. */
interface Entry {
  readonly key: string;
  readonly kind: CredentialKind;
  principal: PrincipalRecord;
  cred: CredentialRecord | null;
  window: ServingWindow;
  /** When a caller was last handed the value (kinds refreshed only while used), null before the first. */
  servedAt: number | null;
}

const NO_WINDOW: ServingWindow = { issued: null, refreshAt: 0 };

/**
 * Keeps every tracked credential valid, whatever its kind: proactive refresh before expiry, one upstream fetch at
 * a time per credential (single-flight within the process, a renewed store lease across processes), a pending
 * mark so a refresh interrupted by a crash is redone, compare-and-set writes, compare-and-invalidate with a floor,
 * backoff by errcode class, and adoption of values other instances publish. The decisions are pure functions
 * (decide.ts, serving-window.ts, failure.ts); this class performs their effects.
 */
export class CredentialEngine {
  readonly events = new EventEmitter<HubEventMap>();
  readonly #o: Required<EngineTuning>;
  readonly #store: Store;
  readonly #kinds: readonly CredentialKind[];
  readonly #openSecret: (principal: PrincipalRecord, name: string) => string;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #log: Logger;
  readonly #leases: LeaseKeeper;
  readonly #timers: TimerQueue;
  readonly #entries = new Map<string, Entry>();
  /** The current value of every tracked credential → its key, so a value presented back can be recognised. */
  readonly #byValue = new Map<string, string>();
  /**
   * Versions this instance is writing, by key: a store may deliver the event of our own write before the write
   * call returns, and what we wrote must not count as adopted from another instance.
   */
  readonly #ownWrites = new Map<string, number>();
  readonly #flights = new SingleFlight<string, IssuedToken>();
  readonly #waiters = new Map<string, Set<() => void>>();
  #stopped = false;

  constructor(options: CredentialEngineOptions) {
    this.#store = options.store;
    this.#kinds = options.kinds;
    this.#openSecret = options.openSecret;
    this.#clock = options.clock;
    this.#random = options.random;
    this.#log = options.logger;
    this.#o = {
      refreshLeadMs: options.refreshLeadMs ?? DEFAULT_REFRESH_LEAD_MS,
      serveMarginMs: options.serveMarginMs ?? DEFAULT_SERVE_MARGIN_MS,
      referenceLifetimeMs: options.referenceLifetimeMs ?? WECHAT_TOKEN_LIFETIME_MS,
      leaseTtlMs: options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS,
      backoffBaseMs: options.backoffBaseMs ?? DEFAULT_BACKOFF_BASE_MS,
      backoffMaxMs: options.backoffMaxMs ?? DEFAULT_BACKOFF_MAX_MS,
      adminRetryMs: options.adminRetryMs ?? DEFAULT_ADMIN_RETRY_MS,
      waitPollMs: options.waitPollMs ?? DEFAULT_WAIT_POLL_MS,
      waitTimeoutMs: options.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS,
      storeRetryMs: options.storeRetryMs ?? DEFAULT_STORE_RETRY_MS,
      invalidationFloorMs: options.invalidationFloorMs ?? DEFAULT_INVALIDATION_FLOOR_MS,
      invalidationFloorMaxMs: options.invalidationFloorMaxMs ?? DEFAULT_INVALIDATION_FLOOR_MAX_MS,
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
    if (this.#o.leaseTtlMs < 3) throw new RangeError(`option leaseTtlMs must be at least 3 ms, got ${this.#o.leaseTtlMs}`);
    this.#timers = new TimerQueue(this.#clock, (key) => this.#onDue(key), TIMER_SLACK_MS);
    this.#leases = new LeaseKeeper({ store: this.#store, clock: this.#clock, logger: this.#log, owner: options.instanceId, ttlMs: this.#o.leaseTtlMs });
  }

  /**
   * Starts managing a principal's eager credentials (with their stored records, looked up by key), or updates the
   * principal record of every credential of it already tracked (its secret or settings changed).
   */
  upsertPrincipal(principal: PrincipalRecord, records: ReadonlyMap<string, CredentialRecord>): void {
    for (const kind of this.#kinds) {
      if (kind.principalType !== principal.type) continue;
      const key = credentialKey(principal.id, kind);
      const entry = this.#entries.get(key);
      if (entry) {
        // An unchanged principal keeps the object held: a resync of 100,000 tracked authorizers would otherwise
        // swap every long-lived record for a copy, leaving the old ones as garbage in V8's old space. An older one
        // (a resync's read overtaken by an update's event) never replaces a newer one.
        if (principal.updatedAt >= entry.principal.updatedAt && !samePrincipal(entry.principal, principal)) entry.principal = principal;
        const record = records.get(key);
        if (record && (!entry.cred || record.version > entry.cred.version)) this.#setCred(entry, record);
        this.#schedule(entry);
      } else if (kind.eager) {
        this.track(kind, principal, records.get(key) ?? null);
      }
    }
  }

  /** Starts managing one credential (a lazy kind once a caller asks for it) with its stored record. */
  track(kind: CredentialKind, principal: PrincipalRecord, record: CredentialRecord | null): void {
    const key = credentialKey(principal.id, kind);
    if (this.#entries.has(key)) return;
    const entry: Entry = { key, kind, principal, cred: null, window: NO_WINDOW, servedAt: null };
    this.#entries.set(key, entry);
    if (record) this.#setCred(entry, record);
    this.#schedule(entry);
  }

  /** Keys of the credentials tracked for a principal (to re-read them from the store). */
  keysOf(id: string): string[] {
    return this.#kinds.map((kind) => credentialKey(id, kind)).filter((key) => this.#entries.has(key));
  }

  /** The key of the tracked credential whose current value is `value`, if any. */
  keyOfValue(value: string): string | undefined {
    return this.#byValue.get(value);
  }

  /** Stops managing every credential of a principal (deleted). */
  dropPrincipal(id: string): void {
    for (const kind of this.#kinds) {
      const key = credentialKey(id, kind);
      const token = this.#entries.get(key)?.cred?.token;
      if (token && this.#byValue.get(token) === key) this.#byValue.delete(token);
      this.#timers.cancel(key);
      this.#entries.delete(key);
      this.#wake(key);
    }
  }

  /** Whether the credential is tracked here. */
  has(key: string): boolean {
    return this.#entries.has(key);
  }

  /** The principal of a tracked credential, as last seen. */
  principal(key: string): PrincipalRecord | undefined {
    return this.#entries.get(key)?.principal;
  }

  /** The principals of a type with a tracked credential, as last seen. */
  principalsOfType(type: PrincipalRecord['type']): PrincipalRecord[] {
    const found = new Map<string, PrincipalRecord>();
    for (const e of this.#entries.values()) if (e.principal.type === type) found.set(e.principal.id, e.principal);
    return [...found.values()];
  }

  /** Ids of the principals with a tracked credential (of `kind`, when given). */
  principalIds(kind?: CredentialKind): string[] {
    const ids = new Set<string>();
    for (const e of this.#entries.values()) if (kind === undefined || e.kind === kind) ids.add(e.principal.id);
    return [...ids];
  }

  /** The held value if it may be served now, else undefined. */
  peek(key: string): IssuedToken | undefined {
    const issued = this.#entries.get(key)?.window.issued;
    return issued && this.#clock.now() < issued.expiresAt ? issued : undefined;
  }

  /** When the held value is due for refresh (epoch ms), if one may be served now. */
  refreshAt(key: string): number | undefined {
    const entry = this.#entries.get(key);
    return entry && this.peek(key) !== undefined ? entry.window.refreshAt : undefined;
  }

  /** The stored record of a tracked credential, as last seen. */
  record(key: string): CredentialRecord | null {
    return this.#entries.get(key)?.cred ?? null;
  }

  /** A valid value: from memory when one is held, else one shared fetch. */
  get(key: string): Promise<IssuedToken> {
    const entry = this.#entries.get(key);
    if (entry) this.#served(entry);
    const issued = entry?.window.issued;
    if (issued && this.#clock.now() < issued.expiresAt) return Promise.resolve(issued);
    return this.#fly(key, { mode: 'ensure', reason: entry?.cred?.token ? 'expired' : 'initial' }).promise;
  }

  /** Compare-and-invalidate: refreshes only if `badToken` is still the current value. */
  async invalidate(key: string, badToken: string): Promise<IssuedToken> {
    const entry = this.#entries.get(key);
    if (entry) this.#served(entry);
    const issued = entry?.window.issued;
    if (entry && reportIsStale(entry.cred?.token, badToken) && issued && this.#clock.now() < issued.expiresAt) {
      this.#emitInvalidated(entry, 'stale');
      return issued;
    }
    // A flight already under way (say, a scheduled refresh) may settle on the reported value; then run our own.
    for (let round = 0; round < 2; round++) {
      const { promise, joined } = this.#fly(key, { mode: 'invalidate', badToken });
      const result = await promise;
      if (reportIsStale(result.token, badToken) || !joined) return result;
    }
    return this.#fly(key, { mode: 'invalidate', badToken }).promise;
  }

  /** Operator-forced refresh (stable grant: a force-mode call, within WeChat's spacing and daily limit). */
  async forceRefresh(key: string): Promise<IssuedToken> {
    const previous = this.#entries.get(key)?.cred?.token ?? null;
    for (;;) {
      const { promise, joined } = this.#fly(key, { mode: 'force', previous });
      const result = await promise;
      if (!joined || result.token !== previous) return result;
    }
  }

  /** Adopts a record read from the store or written by another instance, if it is newer than the one held. */
  adopt(record: CredentialRecord, own = false): void {
    own ||= this.#ownWrites.get(record.key) === record.version;
    const entry = this.#entries.get(record.key);
    if (!entry || (entry.cred && entry.cred.version >= record.version)) return;
    const changed = entry.cred?.token !== record.token;
    const recovered = Boolean(entry.cred?.failure && record.token && !record.failure);
    this.#setCred(entry, record);
    this.#schedule(entry);
    if (changed && record.token && !own) this.events.emit('adopted', { appid: entry.principal.id, kind: entry.kind.name, expiresAt: record.expiresAt });
    if (recovered) this.#resumeChildren(entry.key);
  }

  /**
   * A parent that failed has a value again: the credentials paused behind it (#pause) look again now rather than at
   * the retry time they were given (which, after a quota or an operator's fix, can be hours away). Rare: only after
   * a failure, so the scan over every entry costs nothing in steady state.
   */
  #resumeChildren(parentKey: string): void {
    for (const child of this.#entries.values()) {
      if (this.#parentKey(child) === parentKey && !this.peek(child.key)) this.#schedule(child);
    }
  }

  /** Reacts to a store event about a credential: re-reads it when it is newer than what is held. */
  async onCredentialEvent(key: string, version: number): Promise<void> {
    const entry = this.#entries.get(key);
    if (!entry || (entry.cred && entry.cred.version >= version)) return;
    const record = await this.#store.getCredential(key);
    if (record) this.adopt(record);
  }

  /** Where every tracked credential of `kinds` (default all) stands, for the admin API. */
  states(kinds?: readonly CredentialKind[]): CredentialState[] {
    const now = this.#clock.now();
    return [...this.#entries.values()]
      .filter((entry) => !kinds || kinds.includes(entry.kind))
      .map((entry) => this.#state(entry, now))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /**
   * Cancels every timer and resolves once refreshes in progress have finished (a fetched value is written before
   * the store closes). Flights that have not taken a lease yet give up.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timers.clear();
    for (const key of this.#waiters.keys()) this.#wake(key);
    await this.#flights.settled();
  }

  #state(entry: Entry, now: number): CredentialState {
    const { principal, cred } = entry;
    const failure = cred?.failure ?? null;
    const issued = entry.window.issued;
    const valid = Boolean(issued && now < issued.expiresAt);
    const idle = !this.#proactive(entry, now);
    let state: CredentialState['state'];
    if (failure && failure.retryAt === undefined) state = 'failed';
    else if (idle && !valid) state = 'idle';
    else if (failure) state = 'retrying';
    else state = valid ? 'ok' : 'pending';
    return {
      key: entry.key,
      kind: entry.kind.name,
      appid: principal.id,
      state,
      tokenExpiresAt: cred?.token ? cred.expiresAt : null,
      lastRefreshAt: cred?.obtainedAt || null,
      nextAttemptAt: idle ? null : failure ? (failure.retryAt ?? null) : cred?.token ? entry.window.refreshAt : null,
      lastError: failure ? { code: failure.code, message: failure.message, ...(failure.errcode !== undefined && { errcode: failure.errcode }), at: failure.at } : null,
    };
  }

  #setCred(entry: Entry, cred: CredentialRecord): void {
    const previous = entry.cred?.token;
    if (previous && previous !== cred.token && this.#byValue.get(previous) === entry.key) this.#byValue.delete(previous);
    if (cred.token) this.#byValue.set(cred.token, entry.key);
    entry.cred = cred;
    entry.window = servingWindow(cred, this.#o, cred.token ? entry.kind.stickyUntil?.(cred) : undefined);
    this.#wake(entry.key);
  }

  #schedule(entry: Entry): void {
    this.#timers.cancel(entry.key);
    if (this.#stopped || !this.#o.background) return;
    const { cred } = entry;
    if (!cred?.pending && !this.#proactive(entry, this.#clock.now())) return;
    let at: number | undefined;
    if (cred?.failure) at = cred.failure.retryAt;
    // A refresh begun elsewhere: if its owner died, its lease lapses within a TTL; look then.
    else if (cred?.pending) at = Math.min(cred.pending.since + this.#o.leaseTtlMs, cred.token ? entry.window.refreshAt : Infinity);
    else if (cred?.token) at = entry.window.refreshAt;
    else if (this.#o.prefetch && entry.kind.eager) at = this.#clock.now();
    if (at !== undefined) this.#timers.schedule(entry.key, at);
  }

  /**
   * Whether the engine refreshes the credential before expiry: always, unless its kind is refreshed only while used
   * and no caller was served within its value's life (then the next caller fetches, decide.ts inUse).
   */
  #proactive(entry: Entry, now: number): boolean {
    const lifetimes = entry.kind.idleAfterLifetimes;
    if (lifetimes === undefined) return true;
    const { cred } = entry;
    const lifetime = cred?.token ? cred.expiresAt - cred.obtainedAt : this.#o.referenceLifetimeMs;
    return inUse(entry.servedAt, Math.max(1, lifetimes) * lifetime, now);
  }

  /** Notes that a caller was served; a credential refreshed only while used and left idle gets its timer back. */
  #served(entry: Entry): void {
    if (entry.kind.idleAfterLifetimes === undefined) return;
    entry.servedAt = this.#clock.now();
    if (!this.#timers.has(entry.key)) this.#schedule(entry);
  }

  /**
   * Whether a refresh must wait for the parent: it holds no value it may serve and its last attempt failed, not to
   * be retried yet. Then the credential neither calls upstream nor records a failure of its own (5,000 authorizers
   * would each back off and write for their component's one problem): callers hear the parent's failure, and the
   * timer looks again when the parent may be retried.
   */
  #pause(entry: Entry): { error: WxTokenError; until: number } | undefined {
    const parent = entry.kind.parent;
    const parentKey = this.#parentKey(entry);
    if (!parent || parentKey === undefined) return undefined;
    const held = this.#entries.get(parentKey);
    const failure = held?.cred?.failure;
    if (!held || !failure || this.peek(held.key)) return undefined;
    const now = this.#clock.now();
    if (failure.retryAt !== undefined && failure.retryAt <= now) return undefined;
    const what = `${describe(entry)} (paused while the ${parent.name} of ${principalLabel(held.principal)} cannot be obtained)`;
    // Looks again a moment after the parent's retry, which then has run: N children wait on its outcome rather than
    // each joining it with a read and a lease of its own.
    return { error: failureError(what, failure, now), until: (failure.retryAt ?? now + this.#o.backoffMaxMs) + this.#o.backoffBaseMs };
  }

  /** The key of the credential a kind is fetched with (its parent), if it has one. */
  #parentKey(entry: Entry): string | undefined {
    const parent = entry.kind.parent;
    return parent ? credentialKey(entry.kind.parentPrincipal?.(entry.principal) ?? entry.principal.id, parent) : undefined;
  }

  /** A credential's timer came due: a scheduled flight, then a new timer from whatever state it left. */
  #onDue(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry || this.#stopped) return;
    // Idle: no timer until a caller is served again (#served); until then a caller past expiry fetches on demand.
    // A refresh another instance began and never finished is still redone: the value held may be superseded.
    if (!this.#proactive(entry, this.#clock.now()) && !entry.cred?.pending) return;
    const pause = this.#pause(entry);
    if (pause) return this.#timers.schedule(key, pause.until);
    const current = (): boolean => this.#entries.get(key) === entry && !this.#stopped && !this.#timers.has(key);
    this.#fly(key, { mode: 'scheduled' }).promise.then(
      // A timer may fire a hair early by the wall clock, or the flight may have found nothing to do yet:
      // whenever a flight leaves the entry without a timer, schedule again from its state.
      () => current() && this.#schedule(entry),
      () => {
        // Refresh failures are recorded in the credential, whose adoption rescheduled the entry. Anything
        // else (store down, a lease wait that timed out) leaves no timer: look again shortly.
        if (current()) this.#timers.schedule(key, this.#clock.now() + this.#o.storeRetryMs);
      },
    );
  }

  #fly(key: string, intent: Intent): { promise: Promise<IssuedToken>; joined: boolean } {
    return this.#flights.run(key, () => this.#obtain(key, intent));
  }

  async #obtain(key: string, intent: Intent): Promise<IssuedToken> {
    const deadline = this.#clock.now() + this.#o.waitTimeoutMs;
    let waited = false;
    for (;;) {
      if (this.#stopped) throw new UpstreamUnavailableError(`the hub is shutting down; no refresh of ${key}`);
      const entry = this.#requireEntry(key);
      // Paused behind a failing parent: nothing to read or call, unless a value may still be served.
      const pause = intent.mode === 'force' ? undefined : this.#pause(entry);
      if (pause && !this.peek(key)) throw pause.error;
      const first = this.#verdict(entry, await this.#read(entry), intent);
      let waitUntil: number | undefined;
      if (first.action === 'wait') waitUntil = first.until;
      else if (first.action !== 'refresh') return this.#conclude(entry, intent, first);
      else if (pause) throw pause.error;
      else {
        const lease = await this.#leases.take(`refresh:${key}`);
        if (lease) {
          try {
            // Again under the lease: the previous holder may have just written a fresh value.
            const fresh = await this.#read(entry);
            const verdict = this.#verdict(entry, fresh, intent);
            if (verdict.action === 'wait') waitUntil = verdict.until;
            else if (verdict.action !== 'refresh') return this.#conclude(entry, intent, verdict);
            else {
              const outcome = await this.#refreshUnderLease(entry, fresh, intent);
              if ('token' in outcome) return outcome;
              waitUntil = outcome.waitUntil;
            }
          } finally {
            await lease.release();
          }
        } else if (!waited) {
          // Once per flight, however many times it looks again while it waits.
          waited = true;
          this.events.emit('lease_waited', { appid: entry.principal.id, kind: entry.kind.name });
        }
      }
      if (waitUntil !== undefined) {
        await sleep(this.#clock, waitUntil - this.#clock.now());
        continue;
      }
      if (this.#clock.now() >= deadline) throw new UpstreamUnavailableError(`timed out waiting for another instance to refresh ${describe(entry)}`);
      await this.#waitForChange(key, this.#o.waitPollMs);
    }
  }

  /** Reads the record from the store and adopts it; returns what is held afterwards. */
  async #read(entry: Entry): Promise<CredentialRecord | null> {
    const record = await this.#store.getCredential(entry.key);
    if (record) this.adopt(record);
    return entry.cred;
  }

  #verdict(entry: Entry, record: CredentialRecord | null, intent: Intent): ReturnType<typeof decide> {
    return decide(this.#view(entry, record), intent, TIMER_SLACK_MS);
  }

  #view(entry: Entry, record: CredentialRecord | null): CredentialView {
    const now = this.#clock.now();
    const issued = entry.window.issued;
    const lifetime = record?.token ? record.expiresAt - record.obtainedAt : this.#o.referenceLifetimeMs;
    const floor = invalidationFloorMs(
      record?.invalidations ?? 0,
      scaleForLifetime(this.#o.invalidationFloorMs, lifetime, this.#o.referenceLifetimeMs),
      scaleForLifetime(this.#o.invalidationFloorMaxMs, lifetime, this.#o.referenceLifetimeMs),
    );
    return {
      now,
      token: record?.token ?? null,
      servable: Boolean(issued && now < issued.expiresAt),
      refreshAt: entry.window.refreshAt,
      failure: record?.failure ?? null,
      pendingSince: record?.pending && record.pending.owner !== this.#leases.owner ? record.pending.since : null,
      canReplace: !record || !entry.kind.canReplace || entry.kind.canReplace(entry.principal, record, now),
      stickyUntil: record?.token ? entry.kind.stickyUntil?.(record) : undefined,
      reportsRefreshFrom: (record?.obtainedAt ?? 0) + floor,
    };
  }

  /** Serves what is held for a verdict that fetches nothing, or explains why it cannot. */
  #conclude(entry: Entry, intent: Intent, verdict: ReturnType<typeof decide>): IssuedToken {
    if (verdict.action === 'throttle') {
      this.#emitInvalidated(entry, 'throttled');
      const retryAfterSeconds = Math.max(1, Math.ceil((verdict.until - this.#clock.now()) / 1000));
      throw new InvalidationThrottledError(`${describe(entry)} was refreshed on a report moments ago; not again before ${new Date(verdict.until).toISOString()}`, { retryAfterSeconds });
    }
    return this.#serve(entry, intent);
  }

  /** The held value if it may be served, else the error that explains why not. */
  #serve(entry: Entry, intent: Intent): IssuedToken {
    const now = this.#clock.now();
    const { cred } = entry;
    const issued = entry.window.issued;
    // A reported value is still handed back when only a force could replace it and none is left today.
    const invalidated =
      intent.mode === 'invalidate' && cred?.token != null && !reportIsStale(cred.token, intent.badToken) && (!entry.kind.canReplace || entry.kind.canReplace(entry.principal, cred, now));
    if (issued && now < issued.expiresAt && !invalidated) return issued;
    if (cred?.failure) throw failureError(describe(entry), cred.failure, now);
    throw new UpstreamUnavailableError(`there is no valid ${entry.kind.name} of ${principalLabel(entry.principal)} yet`);
  }

  async #refreshUnderLease(entry: Entry, record: CredentialRecord | null, intent: Intent): Promise<IssuedToken | { waitUntil: number }> {
    const startedAt = this.#clock.now();
    const reason = reasonOf(intent, record, this.#leases.owner);
    const parentKey = this.#parentKey(entry);
    // The parent first, before the pending mark: a parent that cannot be obtained fails this attempt with its own
    // reason, without a write or a failure of this credential (see #pause).
    const parentToken = parentKey === undefined ? undefined : (await this.get(parentKey)).token;
    // Marked before WeChat is called: if this process dies after WeChat replaced the value, whoever finds the mark
    // with its lease lapsed refreshes at once instead of serving a superseded value until its expiry.
    const base = await this.#write(entry, record, { ...(record ?? emptyRecord(entry.key)), pending: { owner: this.#leases.owner, since: startedAt } });
    if (!base) return { waitUntil: this.#clock.now() };
    let obtained: ObtainedValue | { waitUntil: number };
    try {
      obtained = await this.#obtainWithParent(entry, base, intent, startedAt, parentKey, parentToken);
    } catch (thrown) {
      const err = thrown instanceof StateChange ? thrown.error : thrown;
      const state = thrown instanceof StateChange ? thrown.state : base.state;
      if (err instanceof StoreUnavailableError) throw err;
      if (err instanceof QuotaExhaustedError && intent.mode === 'force') {
        await this.#write(entry, base, { ...base, state, pending: null }).catch(() => undefined);
        throw err;
      }
      await this.#recordFailure(entry, base, state, err);
      if (intent.mode === 'force') throw this.#failureFor(entry, err);
      return this.#serve(entry, intent);
    }
    if ('waitUntil' in obtained) {
      await this.#write(entry, base, { ...base, pending: null });
      return obtained;
    }
    const next: CredentialRecord = {
      key: entry.key,
      version: 0,
      token: obtained.token,
      expiresAt: obtained.expiresAt,
      obtainedAt: obtained.obtainedAt,
      failure: null,
      state: obtained.state,
      pending: null,
      invalidations: intent.mode === 'invalidate' && obtained.token !== record?.token ? (record?.invalidations ?? 0) + 1 : 0,
    };
    if (await this.#write(entry, base, next)) {
      const appid = entry.principal.id;
      this.events.emit('refreshed', { appid, kind: entry.kind.name, expiresAt: obtained.expiresAt, durationMs: this.#clock.now() - startedAt, reason });
      this.#log.info({ appid, kind: entry.kind.name, reason, expiresAt: new Date(obtained.expiresAt).toISOString() }, `${entry.kind.name} refreshed`);
      if (intent.mode === 'invalidate') this.#emitInvalidated(entry, 'refreshed');
    }
    // Outside the failure handling on purpose: a value obtained and stored is a success even when it cannot be
    // served (say, a ticket confirmed for less time than the call took); the caller hears why, nothing is recorded.
    return this.#serve(entry, { mode: 'ensure', reason });
  }

  /**
   * Runs the kind's obtain step with its parent's current value. A parent value the upstream rejects (a ticket
   * fetched with a token rotated elsewhere: 40001/42001) is invalidated by comparison, and the step retried once.
   */
  async #obtainWithParent(
    entry: Entry,
    record: CredentialRecord,
    intent: Intent,
    startedAt: number,
    parentKey: string | undefined,
    parentToken: string | undefined,
  ): Promise<ObtainedValue | { waitUntil: number }> {
    const run = (parentToken: string | undefined, base = record): ReturnType<CredentialKind['obtain']> =>
      entry.kind.obtain({
        principal: entry.principal,
        secret: (name = PRIMARY_SECRET) => this.#openSecret(entry.principal, name),
        parentToken,
        record: base,
        intent,
        startedAt,
        now: () => this.#clock.now(),
        log: this.#log,
      });
    if (parentKey === undefined || parentToken === undefined) return run(undefined);
    try {
      return await run(parentToken);
    } catch (err) {
      const cause = err instanceof StateChange ? err.error : err;
      if (!(cause instanceof WeChatError && cause.category === 'token-invalid')) throw err;
      this.#log.warn({ appid: entry.principal.id, kind: entry.kind.name, errcode: cause.errcode }, 'upstream rejected the parent credential; invalidating it and retrying once');
      // The retry starts from the state the failed attempt left (a call counted against a budget stays counted).
      const base = err instanceof StateChange ? { ...record, state: err.state } : record;
      return run((await this.invalidate(parentKey, parentToken)).token, base);
    }
  }

  async #recordFailure(entry: Entry, record: CredentialRecord, state: CredentialRecord['state'], err: unknown): Promise<void> {
    const failure = failureRecord(err, record.failure, {
      now: this.#clock.now(),
      backoffBaseMs: this.#o.backoffBaseMs,
      backoffMaxMs: this.#o.backoffMaxMs,
      adminRetryMs: this.#o.adminRetryMs,
      random: this.#random,
    });
    try {
      await this.#write(entry, record, { ...record, failure, state, pending: null });
    } catch (writeErr) {
      this.#log.warn({ appid: entry.principal.id, kind: entry.kind.name, err: String(writeErr) }, 'could not record refresh failure');
    }
    const event = {
      appid: entry.principal.id,
      kind: entry.kind.name,
      code: failure.code,
      category: failure.category,
      ...(failure.errcode !== undefined && { errcode: failure.errcode }),
      ...(failure.retryAt !== undefined && { retryAt: failure.retryAt }),
    };
    this.events.emit('refresh_failed', event);
    this.#log.warn({ ...event, message: failure.message }, failure.retryAt === undefined ? 'refresh failed; credential marked failed' : 'refresh failed; will retry');
  }

  #failureFor(entry: Entry, err: unknown): WxTokenError {
    const failure = entry.cred?.failure;
    if (failure) return failureError(describe(entry), failure, this.#clock.now());
    return err instanceof WxTokenError ? err : new UpstreamUnavailableError(String(err));
  }

  /**
   * Compare-and-set write of `next` over `previous`. Returns the record as written, or null when another writer got
   * there first (its record is adopted instead).
   */
  async #write(entry: Entry, previous: CredentialRecord | null, next: CredentialRecord): Promise<CredentialRecord | null> {
    const expected = previous?.version ?? 0;
    this.#ownWrites.set(next.key, expected + 1);
    let stored: boolean;
    try {
      stored = await this.#store.putCredential(next, expected);
    } finally {
      this.#ownWrites.delete(next.key);
    }
    if (stored) {
      const written = { ...next, version: expected + 1 };
      this.adopt(written, true);
      return written;
    }
    this.#log.warn({ appid: entry.principal.id, kind: entry.kind.name }, 'another writer updated the credential first; adopting its version');
    const current = await this.#store.getCredential(next.key);
    if (current) this.adopt(current);
    return null;
  }

  #emitInvalidated(entry: Entry, result: 'refreshed' | 'stale' | 'throttled'): void {
    this.events.emit('invalidated', { appid: entry.principal.id, kind: entry.kind.name, result });
  }

  #requireEntry(key: string): Entry {
    const entry = this.#entries.get(key);
    if (!entry) throw new UpstreamUnavailableError(`${key} is no longer managed`);
    return entry;
  }

  #waitForChange(key: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      let waiters = this.#waiters.get(key);
      if (!waiters) this.#waiters.set(key, (waiters = new Set()));
      const done = (): void => {
        cancel();
        waiters.delete(done);
        resolve();
      };
      const cancel = this.#clock.setTimer(done, timeoutMs);
      waiters.add(done);
    });
  }

  #wake(key: string): void {
    const waiters = this.#waiters.get(key);
    if (!waiters) return;
    this.#waiters.delete(key);
    for (const wake of waiters) wake();
  }
}

/** Why a refresh under the lease runs, for events and logs. */
function reasonOf(intent: Intent, record: CredentialRecord | null, owner: string): RefreshReason {
  switch (intent.mode) {
    case 'force':
      return 'forced';
    case 'invalidate':
      return 'invalidated';
    case 'ensure':
      return intent.reason;
    case 'scheduled':
      if (record?.pending && record.pending.owner !== owner) return 'recovered';
      return record?.token ? 'scheduled' : 'initial';
  }
}

/** A credential record with no value yet. */
function emptyRecord(key: string): CredentialRecord {
  return { key, version: 0, token: null, expiresAt: 0, obtainedAt: 0, failure: null, state: null, pending: null, invalidations: 0 };
}

/** How errors name a credential: "app wx…" for access tokens, "the jsapi_ticket of app wx…" otherwise. */
function describe(entry: Entry): string {
  const owner = principalLabel(entry.principal);
  return entry.kind.name === 'access_token' ? owner : `the ${entry.kind.name} of ${owner}`;
}
