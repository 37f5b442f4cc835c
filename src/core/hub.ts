import { createHash, randomBytes as nodeRandomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { AppNotFoundError, ConfigError, ConflictError, InvalidRequestError, StoreUnavailableError } from '../errors/index.js';
import { nextUpdatedAt, type CredentialRecord, type Grant, type PrincipalRecord, type Store, type StoreEvent } from '../stores/store.js';
import { cardSignature, jssdkSignature, newNonceStr, TICKET_TYPES, WECOM_TICKET_TYPES, type TicketType } from '../wechat/index.js';
import { KeyRing } from './client-keys.js';
import type { Clock } from '../util/clock.js';
import { systemClock } from '../util/clock.js';
import { CredentialEngine, type EngineTuning } from './engine/credential-engine.js';
import { accessTokenKind } from './kinds/access-token.js';
import { DEFAULT_FORCE_DAILY_LIMIT, DEFAULT_FORCE_SPACING_MS, forceLogOf } from './kinds/force-gate.js';
import { shanghaiDay } from './refresh-policy.js';
import { credentialKey, type CredentialKind } from './kinds/kind.js';
import { stickyAgeKnown } from './kinds/sticky-value.js';
import { ticketKind } from './kinds/ticket.js';
import { wecomTicketKind } from './kinds/wecom-ticket.js';
import { wecomTokenKind } from './kinds/wecom-token.js';
import { grantOf, isServed, PRIMARY_SECRET, principalLabel, secretContext, validateSecret } from './principals.js';
import type { Logger } from '../util/logger.js';
import { silentLogger } from '../util/logger.js';
import { isComponentFetcher, type ComponentFetcher, type CredentialFetcher } from './token-fetcher.js';
import { authorizerTokenKind } from './kinds/authorizer-token.js';
import { componentTokenKind } from './kinds/component-token.js';
import { OpenPlatform, type OpenPlatformOptions } from './open-platform/open-platform.js';
import { VerifyTickets } from './open-platform/verify-ticket.js';
import { ConcurrencyLimit } from '../util/concurrency-limit.js';
import { validatePageUrl } from './page-url.js';
import type { PrincipalCredentials } from './principal-credentials.js';
import { WeComAgents } from './wecom-agents.js';
import type { ClientIdentity } from './key-scope.js';
import type {
  AppStatus,
  CardSignature,
  ClientKeyInfo,
  CredentialState,
  HubEvents,
  IssuedTicket,
  IssuedToken,
  JsSdkConfig,
  NewClientKeyOptions,
  TokenService,
} from './token-service.js';
import { APPID_PATTERN } from './token-service.js';

/** Seals and opens secrets (core/secret-box.ts); the context binds a sealed secret to its app. */
export interface SecretSealer {
  seal(plaintext: string, context: string): string;
  open(sealed: string, context: string): string;
}

/** Everything a Hub needs; durations in milliseconds, defaults in engine/credential-engine.ts and kinds/. */
export interface HubOptions extends EngineTuning {
  store: Store;
  secrets: SecretSealer;
  fetcher: CredentialFetcher;
  /** Stable-token force refreshes: minimum spacing (default WeChat's 30 s) and daily limit (default 20). */
  forceSpacingMs?: number;
  forceDailyLimit?: number;
  /** Default: the system clock. Distributed deployments pass a StoreClock. */
  clock?: Clock;
  /** Default Math.random; used for backoff jitter. */
  random?: () => number;
  /** Default crypto.randomBytes; used for client keys. */
  randomBytes?: (size: number) => Buffer;
  logger?: Logger;
  /** Lease owner id of this instance; default a random UUID. */
  instanceId?: string;
  /**
   * How often to ping the store and, after an outage, reload everything (default 5 s): recovery needs no
   * request to trigger it.
   */
  healthCheckMs?: number;
  /** How often to re-read all apps and tokens even when healthy, converging on missed events (default 60 s). */
  resyncIntervalMs?: number;
  /**
   * Tracked principals of types without an eager kind (authorizers) re-read per resync at most, in turn (default
   * 10,000): with 100,000 tracked, each is re-read every 10 resyncs, and a resync holds a tenth of them at once.
   */
  lazyResyncLimit?: number;
  /** The Open Platform calls; default `fetcher` when it makes them (createWeChatFetcher does). */
  componentFetcher?: ComponentFetcher;
  /** api_authorizer_token calls in flight at most, per instance (default 16, §7.3 item 3). */
  authorizerConcurrency?: number;
  /** Authorizer tokens are served up to this much (scaled to the token's life: 1/60 of it at most) less than their life, at random, spreading refreshes (default 2 min). */
  authorizerJitterMs?: number;
  /** Tuning of the Open Platform's timers and push checks (open-platform/open-platform.ts). */
  openPlatform?: Pick<
    OpenPlatformOptions,
    | 'pushMaxSkewMs'
    | 'pushReplayWindowMs'
    | 'startPushIntervalMs'
    | 'ticketCheckMs'
    | 'reconcileIntervalMs'
    | 'startupRetryBaseMs'
    | 'startupRetryMaxMs'
    | 'writeLeaseWaitMs'
    | 'writeLeasePollMs'
  >;
}

/** api_authorizer_token calls in flight per instance (§7.3 item 3 suggests 16). */
export const DEFAULT_AUTHORIZER_CONCURRENCY = 16;
/** The ±2 min jitter of §7.3 item 3, applied as up to 2 min less served life. */
export const DEFAULT_AUTHORIZER_JITTER_MS = 120_000;

/** Ping interval: an outage is noticed (and /readyz turns) within this. */
export const DEFAULT_HEALTH_CHECK_MS = 5_000;
/** Full re-read interval: bounds how long a lost pub/sub message can leave an instance behind. */
export const DEFAULT_RESYNC_INTERVAL_MS = 60_000;

const GRANTS: readonly Grant[] = ['stable', 'classic'];

/** Principals re-read per store round trip in a resync (with their credentials): bounds what one holds at once. */
const RELOAD_BATCH = 1_000;
/** See HubOptions.lazyResyncLimit. */
export const DEFAULT_LAZY_RESYNC_LIMIT = 10_000;

/**
 * The hub: a TokenService over a Store and WeChat. Holds every tracked credential in memory (every app's access
 * token; its tickets once asked for), stays in step with other instances and processes through store events, and
 * serves reads without touching the store.
 */
export class Hub implements TokenService, PrincipalCredentials {
  /** WeCom apps: their tokens, tickets and JS-SDK signatures. */
  readonly wecom: WeComAgents;
  /** Open Platform components and their authorizers. */
  readonly open: OpenPlatform;
  readonly #store: Store;
  readonly #secrets: SecretSealer;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #engine: CredentialEngine;
  readonly #accessToken: CredentialKind;
  readonly #tickets: ReadonlyMap<TicketType, CredentialKind>;
  readonly #kinds: readonly CredentialKind[];
  /** Principal types with an eager kind (every one of them is managed), and the others (managed once asked for). */
  readonly #eagerTypes: readonly PrincipalRecord['type'][];
  readonly #lazyTypes: readonly PrincipalRecord['type'][];
  readonly #keys: KeyRing;
  readonly #randomBytes: (size: number) => Buffer;
  readonly #healthCheckMs: number;
  readonly #resyncIntervalMs: number;
  readonly #lazyResyncLimit: number;
  /** Where the next resync goes on through the tracked principals of lazy types (a limited number per resync). */
  #lazyResyncFrom = 0;
  readonly #background: boolean;
  readonly #forceDailyLimit: number;
  #unsubscribe: (() => Promise<void>) | undefined;
  #cancelHealth: (() => void) | undefined;
  #storeHealthy = true;
  #lastResync = 0;

  constructor(options: HubOptions) {
    this.#store = options.store;
    this.#secrets = options.secrets;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.logger ?? silentLogger;
    this.#healthCheckMs = options.healthCheckMs ?? DEFAULT_HEALTH_CHECK_MS;
    this.#resyncIntervalMs = options.resyncIntervalMs ?? DEFAULT_RESYNC_INTERVAL_MS;
    this.#lazyResyncLimit = options.lazyResyncLimit ?? DEFAULT_LAZY_RESYNC_LIMIT;
    if (!Number.isSafeInteger(this.#lazyResyncLimit) || this.#lazyResyncLimit < 1) {
      throw new RangeError(`option lazyResyncLimit must be a positive integer, got ${String(options.lazyResyncLimit)}`);
    }
    this.#background = options.background ?? true;
    // What is left after the hub's own options is the engine's tuning.
    const {
      store: _store,
      secrets: _secrets,
      fetcher,
      clock: _clock,
      random,
      randomBytes,
      logger: _logger,
      instanceId,
      healthCheckMs: _h,
      resyncIntervalMs: _r,
      lazyResyncLimit: _l,
      forceSpacingMs,
      forceDailyLimit,
      componentFetcher: _cf,
      authorizerConcurrency: _ac,
      authorizerJitterMs: _aj,
      openPlatform: _op,
      ...tuning
    } = options;
    this.#forceDailyLimit = forceDailyLimit ?? DEFAULT_FORCE_DAILY_LIMIT;
    this.#accessToken = accessTokenKind(fetcher, {
      spacingMs: forceSpacingMs ?? DEFAULT_FORCE_SPACING_MS,
      dailyLimit: this.#forceDailyLimit,
    });
    this.#tickets = new Map(TICKET_TYPES.map((type) => [type, ticketKind(type, this.#accessToken, fetcher)]));
    const wecomToken = wecomTokenKind(fetcher);
    const wecomTickets = new Map(WECOM_TICKET_TYPES.map((type) => [type, wecomTicketKind(type, wecomToken, fetcher)]));
    const component = options.componentFetcher ?? (isComponentFetcher(fetcher) ? fetcher : noComponentFetcher);
    const componentToken = componentTokenKind(component, new VerifyTickets(this.#store));
    // The hooks reach the facade built below: the kind runs only once the hub is started.
    const authorizerToken = authorizerTokenKind(
      component,
      componentToken,
      {
        refreshTokenChanged: (principal, value) => this.open.refreshTokenChanged(principal, value),
        repairRefreshToken: (principal) => this.open.repairRefreshToken(principal),
        statusChanged: (principal, status, reason) => this.open.statusChanged(principal, status, reason),
      },
      {
        limit: new ConcurrencyLimit(options.authorizerConcurrency ?? DEFAULT_AUTHORIZER_CONCURRENCY),
        jitterMs: options.authorizerJitterMs ?? DEFAULT_AUTHORIZER_JITTER_MS,
        random: random ?? Math.random,
      },
    );
    const authorizerTickets = new Map(TICKET_TYPES.map((type) => [type, ticketKind(type, authorizerToken, fetcher)]));
    this.#kinds = [this.#accessToken, ...this.#tickets.values(), wecomToken, ...wecomTickets.values(), componentToken, authorizerToken, ...authorizerTickets.values()];
    this.#eagerTypes = [...new Set(this.#kinds.filter((kind) => kind.eager).map((kind) => kind.principalType))];
    this.#lazyTypes = [...new Set(this.#kinds.map((kind) => kind.principalType))].filter((type) => !this.#eagerTypes.includes(type));
    const owner = instanceId ?? randomUUID();
    this.#engine = new CredentialEngine({
      ...tuning,
      store: this.#store,
      kinds: this.#kinds,
      openSecret: (principal, name) => this.#openSecret(principal, name),
      clock: this.#clock,
      random: random ?? Math.random,
      logger: this.#log,
      instanceId: owner,
    });
    this.#randomBytes = randomBytes ?? nodeRandomBytes;
    this.wecom = new WeComAgents(this, { token: wecomToken, tickets: wecomTickets }, { clock: this.#clock, randomBytes: this.#randomBytes });
    this.open = new OpenPlatform(
      this,
      this.#store,
      component,
      { componentToken, authorizerToken, tickets: authorizerTickets },
      {
        ...options.openPlatform,
        clock: this.#clock,
        logger: this.#log,
        randomBytes: this.#randomBytes,
        background: this.#background,
        instanceId: owner,
        ...(tuning.leaseTtlMs !== undefined && { leaseTtlMs: tuning.leaseTtlMs }),
      },
    );
    this.#keys = new KeyRing(this.#store, { randomBytes: this.#randomBytes, now: () => this.#clock.now() });
  }

  /** Hub events (refreshed, refresh_failed, invalidated, adopted) for metrics and logs. */
  get events(): HubEvents {
    return this.#engine.events;
  }

  /** Loads apps, tokens and keys, subscribes to changes, and schedules refreshes. */
  async start(): Promise<void> {
    // Subscribe first so nothing written between the load and the subscription is missed.
    this.#unsubscribe = await this.#store.subscribe((event) => this.#onEvent(event));
    await this.#keys.reload();
    await this.#reloadPrincipals();
    this.#lastResync = this.#clock.now();
    if (this.#background) this.#scheduleHealthCheck();
    this.open.start();
  }

  /** Stops timers and the subscription and waits for refreshes in progress; the caller closes the store. */
  async stop(): Promise<void> {
    this.#cancelHealth?.();
    this.#cancelHealth = undefined;
    this.open.stop();
    await this.#keys.flushUsage(true).catch(() => {});
    await this.#engine.stop();
    await this.#unsubscribe?.().catch(() => {});
    this.#unsubscribe = undefined;
  }

  currentToken(appid: string): IssuedToken | undefined {
    return this.#engine.peek(this.#tokenKey(appid));
  }

  tokenRefreshAt(appid: string): number | undefined {
    return this.#engine.refreshAt(this.#tokenKey(appid));
  }

  getAccessToken(appid: string): Promise<IssuedToken> {
    // Not async: the hot path returns the engine's (usually already resolved) promise without another hop.
    const key = this.#tokenKey(appid);
    if (this.#engine.has(key)) return this.#engine.get(key);
    return this.#discover(appid).then(() => this.#engine.get(key));
  }

  async getTicket(appid: string, type: TicketType): Promise<IssuedTicket> {
    const kind = this.#tickets.get(type);
    if (!kind) throw new InvalidRequestError(`ticket type must be one of ${TICKET_TYPES.join(', ')}, got ${JSON.stringify(String(type).slice(0, 40))}`);
    validateAppid(appid);
    const issued = await this.credential(appid, kind);
    return { ...issued, ageKnown: stickyAgeKnown(this.credentialRecord(appid, kind)) };
  }

  async signJsSdkConfig(appid: string, url: string): Promise<JsSdkConfig> {
    validatePageUrl(url);
    const { token: ticket } = await this.getTicket(appid, 'jsapi');
    const timestamp = Math.floor(this.#clock.now() / 1000);
    const nonceStr = newNonceStr(this.#randomBytes);
    return { appId: appid, timestamp, nonceStr, signature: jssdkSignature({ ticket, nonceStr, timestamp, url }) };
  }

  async signCard(appid: string, values: readonly string[]): Promise<CardSignature> {
    const { token: ticket } = await this.getTicket(appid, 'wx_card');
    const timestamp = Math.floor(this.#clock.now() / 1000);
    const nonceStr = newNonceStr(this.#randomBytes);
    return { timestamp, nonceStr, signature: cardSignature([ticket, String(timestamp), nonceStr, ...values]) };
  }

  async invalidate(appid: string, badToken: string): Promise<IssuedToken> {
    validateAppid(appid);
    return this.invalidateCredential(appid, this.#accessToken, badToken);
  }

  async refresh(appid: string): Promise<IssuedToken> {
    validateAppid(appid);
    return this.refreshCredential(appid, this.#accessToken);
  }

  /**
   * The current value of a principal's credential of `kind` (the API a principal type's facade builds on, as
   * WeComAgents does): the principal is discovered in the store and a lazy kind tracked on first use.
   */
  async credential(id: string, kind: CredentialKind, stored?: PrincipalRecord): Promise<IssuedToken> {
    const key = credentialKey(id, kind);
    if (!this.#engine.has(key)) await this.#trackKind(id, kind, stored);
    return this.#engine.get(key);
  }

  /** Compare-and-invalidate of a principal's credential of `kind` (see invalidate). */
  async invalidateCredential(id: string, kind: CredentialKind, badValue: string, stored?: PrincipalRecord): Promise<IssuedToken> {
    if (typeof badValue !== 'string' || badValue.length === 0 || badValue.length > 512) {
      throw new InvalidRequestError('access_token must be the non-empty token WeChat rejected');
    }
    const key = credentialKey(id, kind);
    if (!this.#engine.has(key)) await this.#trackKind(id, kind, stored);
    return this.#engine.invalidate(key, badValue);
  }

  /** Operator-forced refresh of a principal's credential of `kind`. */
  async refreshCredential(id: string, kind: CredentialKind): Promise<IssuedToken> {
    const key = credentialKey(id, kind);
    if (!this.#engine.has(key)) await this.#trackKind(id, kind);
    return this.#engine.forceRefresh(key);
  }

  /** The record of a principal's credential of `kind` as last seen, if tracked. */
  credentialRecord(id: string, kind: CredentialKind): CredentialRecord | null {
    return this.#engine.record(credentialKey(id, kind));
  }

  /** The principal a credential value belongs to and the kind it is, if the hub holds it as a current value. */
  ownerOfValue(value: string): { principal: PrincipalRecord; kind: string } | undefined {
    const key = this.#engine.keyOfValue(value);
    const principal = key === undefined ? undefined : this.#engine.principal(key);
    return principal && key ? { principal, kind: key.slice(principal.id.length + 1) } : undefined;
  }

  /** Where every tracked credential of the given kinds stands, with its principal. */
  credentialStates(kinds: readonly CredentialKind[]): Array<CredentialState & { principal: PrincipalRecord }> {
    return this.#engine.states(kinds).flatMap((state) => {
      const principal = this.#engine.principal(state.key);
      return principal ? [{ ...state, principal }] : [];
    });
  }

  /**
   * Creates or updates a principal from plaintext secrets (sealed here, never stored in the clear); a changed
   * principal has its credentials' failures cleared. Returns whether it was created or changed; unchanged writes
   * nothing.
   */
  async putPrincipal(input: {
    id: string;
    type: PrincipalRecord['type'];
    attributes: PrincipalRecord['attributes'];
    secrets: Readonly<Record<string, string>>;
  }): Promise<{ created: boolean; changed: boolean }> {
    const existing = await this.#store.getPrincipal(input.id);
    if (existing && existing.type !== input.type) throw new ConflictError(`${existing.id} is registered as a ${existing.type}, not a ${input.type}`);
    const sameSecrets =
      existing !== null &&
      Object.keys(existing.secrets).length === Object.keys(input.secrets).length &&
      Object.entries(input.secrets).every(([name, plain]) => existing.secrets[name] !== undefined && this.#openSecret(existing, name) === plain);
    const sameAttributes = existing !== null && JSON.stringify(existing.attributes) === JSON.stringify(input.attributes);
    if (existing && sameSecrets && sameAttributes) return { created: false, changed: false };
    await this.#writePrincipal(input, existing, false);
    return { created: !existing, changed: true };
  }

  /**
   * Writes a principal over `existing`, the record the caller read (null: none), without reading again and only if
   * the store still holds that record (compare-and-set on its `updatedAt`): for a caller that holds the principal's
   * write lease and has decided the write changes something (the Open Platform's authorizer records); the store's
   * comparison fences a writer whose lease lapsed during a pause. Seals the secrets and clears the credentials'
   * failures as putPrincipal does. Returns false, writing nothing, when the principal changed since it was read.
   * `replaces`: the record this one follows when `existing` is null because the caller has just removed it (its
   * creation time is kept and `updatedAt` still grows past it).
   */
  writePrincipal(
    input: { id: string; type: PrincipalRecord['type']; attributes: PrincipalRecord['attributes']; secrets: Readonly<Record<string, string>> },
    existing: PrincipalRecord | null,
    replaces: PrincipalRecord | null = existing,
  ): Promise<boolean> {
    return this.#writePrincipal(input, existing, true, replaces);
  }

  async #writePrincipal(
    input: { id: string; type: PrincipalRecord['type']; attributes: PrincipalRecord['attributes']; secrets: Readonly<Record<string, string>> },
    existing: PrincipalRecord | null,
    ifUnchanged: boolean,
    replaces: PrincipalRecord | null = existing,
  ): Promise<boolean> {
    if (existing && existing.type !== input.type) throw new ConflictError(`${existing.id} is registered as a ${existing.type}, not a ${input.type}`);
    const now = this.#clock.now();
    const record: PrincipalRecord = {
      id: input.id,
      type: input.type,
      attributes: input.attributes,
      secrets: Object.fromEntries(Object.entries(input.secrets).map(([name, plain]) => [name, this.#secrets.seal(plain, secretContext(input.id, name))])),
      createdAt: replaces?.createdAt ?? now,
      updatedAt: nextUpdatedAt(replaces, now),
    };
    if (!(await this.#store.putPrincipal(record, ifUnchanged ? existing : undefined))) return false;
    if (existing) for (const key of this.#engine.keysOf(input.id)) await this.#clearFailure(key);
    await this.#track(record);
    return true;
  }

  /**
   * Removes a principal and its credentials. Returns whether it existed. With `ifUnchanged` (the record the caller
   * read), only if the store still holds that record, as writePrincipal; false: nothing removed.
   */
  async removePrincipal(id: string, ifUnchanged?: PrincipalRecord): Promise<boolean> {
    const removed = await this.#store.deletePrincipal(id, ifUnchanged);
    if (removed || ifUnchanged === undefined) this.#engine.dropPrincipal(id);
    return removed;
  }

  /** Constant-time check of a principal's secret of that name (false when the principal or secret is unknown). */
  async principalSecretMatches(id: string, name: string, presented: string): Promise<boolean> {
    const principal = this.#trackedPrincipal(id) ?? (await this.#store.getPrincipal(id));
    if (!principal || principal.secrets[name] === undefined) return false;
    return digestEquals(this.#openSecret(principal, name), presented);
  }

  /**
   * The principals of a type this instance holds (in memory, no store read: for request paths). One registered
   * elsewhere appears with its store event, or at the next resync.
   */
  trackedPrincipals(type: PrincipalRecord['type']): PrincipalRecord[] {
    return this.#engine.principalsOfType(type);
  }

  /** Opens the sealed secret of that name of a principal record the caller holds (undefined when it has none); no store read. */
  openPrincipalSecret(principal: PrincipalRecord, name: string): string | undefined {
    return principal.secrets[name] === undefined ? undefined : this.#openSecret(principal, name);
  }

  /** Opens a principal's sealed secret of that name (undefined when the principal or secret is unknown). */
  async principalSecret(id: string, name: string): Promise<string | undefined> {
    const principal = await this.#store.getPrincipal(id);
    return principal ? this.openPrincipalSecret(principal, name) : undefined;
  }

  /** Every stored principal of a type (from the store: includes those this instance has not loaded yet). */
  async listPrincipals(type: PrincipalRecord['type']): Promise<PrincipalRecord[]> {
    return this.#store.listPrincipals({ types: [type] });
  }

  async listApps(): Promise<AppStatus[]> {
    return this.#engine.states([this.#accessToken]).flatMap((state) => {
      const app = this.#engine.principal(state.key);
      if (!app) return [];
      const { key: _key, kind: _kind, ...rest } = state;
      return [{ ...rest, grant: grantOf(app), createdAt: app.createdAt, updatedAt: app.updatedAt }];
    });
  }

  appOfToken(token: string): string | undefined {
    const key = this.#engine.keyOfValue(token);
    const app = key === undefined ? undefined : this.#engine.principal(key);
    return app && key === this.#tokenKey(app.id) ? app.id : undefined;
  }

  /** Where every tracked credential of every kind stands. */
  listCredentials(): CredentialState[] {
    return this.#engine.states();
  }

  /**
   * Quotas the hub counts fleet-wide, from the shared records: today's stable-token force refreshes of every app
   * that made one, against WeChat's daily limit (`api` = `stable_token_force`).
   */
  quotaUsage(): Array<{ appid: string; api: string; used: number; limit: number }> {
    const today = shanghaiDay(this.#clock.now());
    return this.#engine.principalIds(this.#accessToken).flatMap((appid) => {
      const log = forceLogOf(this.#engine.record(this.#tokenKey(appid))?.state);
      return log && log.day === today ? [{ appid, api: 'stable_token_force', used: log.count, limit: this.#forceDailyLimit }] : [];
    });
  }

  async putApp(appid: string, input: { secret: string; grant: Grant }): Promise<{ created: boolean }> {
    validateAppid(appid);
    if (!GRANTS.includes(input.grant)) throw new InvalidRequestError(`grant must be "stable" or "classic", got ${JSON.stringify(input.grant)}`);
    validateSecret(input.secret);
    const { created, changed } = await this.putPrincipal({ id: appid, type: 'app', attributes: { grant: input.grant }, secrets: { [PRIMARY_SECRET]: input.secret } });
    if (!changed) return { created };
    this.#log.info({ appid, grant: input.grant, created }, created ? 'app added' : 'app updated');
    return { created };
  }

  async removeApp(appid: string): Promise<boolean> {
    validateAppid(appid);
    const existed = await this.removePrincipal(appid);
    if (existed) this.#log.info({ appid }, 'app removed');
    return existed;
  }

  async hasApp(appid: string): Promise<boolean> {
    return this.#engine.has(this.#tokenKey(appid)) || (await this.#storedApp(appid)) !== null;
  }

  async verifySecret(appid: string, secret: string): Promise<boolean> {
    const app = this.#engine.principal(this.#tokenKey(appid)) ?? (await this.#storedApp(appid));
    if (!app) return false;
    return digestEquals(this.#openSecret(app, PRIMARY_SECRET), secret);
  }

  async withAppSecret<T>(appid: string, use: (secret: string) => Promise<T>): Promise<T> {
    const app = this.#engine.principal(this.#tokenKey(appid)) ?? (await this.#storedApp(appid));
    if (!app) throw new AppNotFoundError(appid);
    // Unsealed per call and never kept: the plaintext lives only as long as `use` holds it.
    return use(this.#openSecret(app, PRIMARY_SECRET));
  }

  authenticate(presentedKey: string): ClientIdentity | null {
    return this.#keys.authenticate(presentedKey);
  }

  createClientKey(name: string, apps: readonly string[], options?: NewClientKeyOptions): Promise<string> {
    return this.#keys.create(name, apps, options);
  }

  /** Writes client keys' last-used times that are due (the periodic tick does; `all` at shutdown). */
  flushKeyUsage(all = false): Promise<void> {
    return this.#keys.flushUsage(all);
  }

  listClientKeys(): Promise<ClientKeyInfo[]> {
    return this.#keys.list();
  }

  revokeClientKey(name: string): Promise<boolean> {
    return this.#keys.revoke(name);
  }

  async isReady(): Promise<boolean> {
    try {
      await this.#store.ping();
      this.#setStoreHealth(true);
      return true;
    } catch (err) {
      this.#setStoreHealth(false, err);
      return false;
    }
  }

  #tokenKey(appid: string): string {
    return credentialKey(appid, this.#accessToken);
  }

  /** The principal of that id as this instance tracks it, if it tracks any of its credentials. */
  #trackedPrincipal(id: string): PrincipalRecord | undefined {
    for (const kind of this.#kinds) {
      const principal = this.#engine.principal(credentialKey(id, kind));
      if (principal) return principal;
    }
    return undefined;
  }

  /**
   * Makes sure the credential of `kind` of principal `id` is tracked, loading the principal (unless the caller
   * just read it: `stored`) and the record in one round trip.
   */
  async #trackKind(id: string, kind: CredentialKind, stored?: PrincipalRecord): Promise<void> {
    const key = credentialKey(id, kind);
    const tracked = this.#trackedPrincipal(id);
    const [principal, record] = await Promise.all([tracked ?? stored ?? this.#store.getPrincipal(id), this.#store.getCredential(key)]);
    if (!principal || principal.type !== kind.principalType) throw new AppNotFoundError(id, principalLabel({ id, type: kind.principalType }));
    if (!tracked) await this.#track(principal);
    if (!this.#engine.has(key)) this.#engine.track(kind, principal, record);
    // A lazy parent (an authorizer's token, for its tickets) is tracked with its child: the child's fetch asks for it.
    const parent = kind.parent;
    const parentId = kind.parentPrincipal?.(principal) ?? id;
    if (parent && !parent.eager && !this.#engine.has(credentialKey(parentId, parent))) {
      await this.#trackKind(parentId, parent, parentId === id ? principal : undefined);
    }
  }

  /** The stored app of that appid; null for an id that is not an appid, or a principal that is not an app. */
  async #storedApp(appid: string): Promise<PrincipalRecord | null> {
    if (!APPID_PATTERN.test(appid)) return null;
    const principal = await this.#store.getPrincipal(appid);
    return principal?.type === 'app' ? principal : null;
  }

  #openSecret(principal: PrincipalRecord, name: string): string {
    const sealed = principal.secrets[name];
    if (sealed === undefined) throw new StoreUnavailableError(`${principal.type} ${principal.id} has no secret named ${JSON.stringify(name)}`);
    return this.#secrets.open(sealed, secretContext(principal.id, name));
  }

  #scheduleHealthCheck(): void {
    this.#cancelHealth = this.#clock.setTimer(() => {
      void this.isReady().then(async (ready) => {
        if (ready && this.#clock.now() - this.#lastResync >= this.#resyncIntervalMs) await this.#resync();
        // Last-used times ride on this tick: a store write per key per minute at most, never one per request.
        if (ready) await this.#keys.flushUsage().catch((err: unknown) => this.#log.warn({ err: String(err) }, 'could not record client key use'));
        if (this.#cancelHealth) this.#scheduleHealthCheck();
      });
    }, this.#healthCheckMs);
  }

  /**
   * Re-reads principals, credentials and keys (`full`: every tracked one, after events may have been lost; else the
   * periodic pass, see #reloadPrincipals); rejects (StoreUnavailableError) when the store cannot answer.
   */
  async #reloadAll(full = false): Promise<void> {
    this.#lastResync = this.#clock.now();
    await Promise.all([this.#keys.reload(), this.#reloadPrincipals(full)]);
  }

  async #resync(full = false): Promise<void> {
    await this.#reloadAll(full).catch((err: unknown) => {
      if (err instanceof StoreUnavailableError) this.#setStoreHealth(false, err);
    });
  }

  /** An app registered by another process whose event has not arrived yet is picked up on first use. */
  async #discover(appid: string): Promise<void> {
    if (!APPID_PATTERN.test(appid)) throw new InvalidRequestError(`invalid appid ${JSON.stringify(appid)}: expected "wx" and 16 hex digits`);
    const app = await this.#storedApp(appid);
    if (!app) throw new AppNotFoundError(appid);
    await this.#track(app);
  }

  /** Hands the engine a principal with the stored records of its eager credentials and of every one it tracks. */
  async #track(principal: PrincipalRecord): Promise<void> {
    const keys = new Set([...this.#eagerKeys(principal), ...this.#engine.keysOf(principal.id)]);
    const records = new Map<string, CredentialRecord>();
    for (const key of keys) {
      const record = await this.#store.getCredential(key);
      if (record) records.set(key, record);
    }
    this.#apply(principal, records);
  }

  /** Hands the engine a principal read from the store; one no longer served has what is held of it dropped. */
  #apply(principal: PrincipalRecord, records: ReadonlyMap<string, CredentialRecord>): void {
    if (isServed(principal)) this.#engine.upsertPrincipal(principal, records);
    else this.#engine.dropPrincipal(principal.id);
  }

  #eagerKeys(principal: PrincipalRecord): string[] {
    return this.#kinds.filter((kind) => kind.eager && kind.principalType === principal.type).map((kind) => credentialKey(principal.id, kind));
  }

  /**
   * Re-reads the principals and credentials this instance manages in bulk (not one read per credential: with
   * thousands of them, the periodic resync would otherwise cost thousands of round trips a minute) and hands them
   * to the engine. Principals of a type with an eager kind are listed whole (each is managed); of the others
   * (authorizers: up to 100,000, tracked only once asked for) only the tracked ones are read, and only the records
   * of tracked and eager credentials: an idle authorizer costs no memory at start-up or at a resync. Read a batch
   * at a time, and the tracked lazy ones at most lazyResyncLimit per resync, in turn, so what a resync allocates
   * stays bounded however many are tracked (each is still re-read within a few resyncs; events carry changes first).
   * `full` (after the store's event feed was interrupted, or an outage) re-reads every tracked one, a batch at a time.
   */
  async #reloadPrincipals(full = false): Promise<void> {
    const eagerTracked = this.#eagerTypes.flatMap((type) => this.#engine.principalsOfType(type).map((p) => p.id));
    const lazyTracked = this.#lazyTypes.flatMap((type) => this.#engine.principalsOfType(type).map((p) => p.id));
    const limit = full ? Infinity : this.#lazyResyncLimit;
    const from = this.#lazyResyncFrom % Math.max(1, lazyTracked.length);
    const lazyIds = lazyTracked.length <= limit ? lazyTracked : [...lazyTracked.slice(from, from + limit), ...lazyTracked.slice(0, Math.max(0, from + limit - lazyTracked.length))];
    if (!full) this.#lazyResyncFrom = from + lazyIds.length;
    const trackedBefore = [...eagerTracked, ...lazyIds];
    const listed = await this.#store.listPrincipals({ types: this.#eagerTypes });
    const seen = new Set<string>();
    const apply = async (principals: readonly PrincipalRecord[]): Promise<void> => {
      const keys = principals.flatMap((principal) => [...this.#eagerKeys(principal), ...this.#engine.keysOf(principal.id)]);
      const records = new Map((await this.#store.listCredentials(keys)).map((record) => [record.key, record]));
      for (const principal of principals) {
        seen.add(principal.id);
        this.#apply(principal, records);
      }
    };
    for (let i = 0; i < listed.length; i += RELOAD_BATCH) await apply(listed.slice(i, i + RELOAD_BATCH));
    for (let i = 0; i < lazyIds.length; i += RELOAD_BATCH) await apply(await this.#store.listPrincipals({ ids: lazyIds.slice(i, i + RELOAD_BATCH) }));
    // Only what was tracked before the reads began and asked for: one a caller started tracking meanwhile was not.
    for (const id of trackedBefore) if (!seen.has(id)) this.#engine.dropPrincipal(id);
  }

  async #clearFailure(key: string): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const record = await this.#store.getCredential(key);
      if (!record?.failure) return;
      if (await this.#store.putCredential({ ...record, failure: null }, record.version)) return;
    }
  }

  #onEvent(event: StoreEvent): void {
    const work = (async () => {
      switch (event.type) {
        case 'credential':
          return this.#engine.onCredentialEvent(event.key, event.version);
        case 'client-key':
          return this.#keys.reload();
        case 'principal': {
          const principal = await this.#store.getPrincipal(event.id);
          if (!principal) return this.#engine.dropPrincipal(event.id);
          return this.#track(principal);
        }
        case 'resync':
          // Not #resync: a failure must reach the health handling below rather than read as success.
          return this.#reloadAll(true);
      }
    })();
    work.then(
      () => this.#setStoreHealth(true),
      (err: unknown) => {
        if (err instanceof StoreUnavailableError) this.#setStoreHealth(false, err);
        else this.#log.error({ err: String(err), event: event.type }, 'failed to apply store event');
      },
    );
  }

  #setStoreHealth(healthy: boolean, err?: unknown): void {
    if (healthy === this.#storeHealthy) return;
    this.#storeHealthy = healthy;
    // Logged on transitions only: an outage is one line, not one per request.
    if (healthy) {
      this.#log.info({ store: this.#store.description }, 'store reachable again');
      void this.#resync(true);
    } else {
      this.#log.warn({ store: this.#store.description, err: String(err) }, 'store unreachable; serving held tokens until they expire');
    }
  }
}

function validateAppid(appid: string): void {
  if (!APPID_PATTERN.test(appid)) throw new InvalidRequestError(`invalid appid ${JSON.stringify(appid)}: expected "wx" and 16 hex digits`);
}

/** Constant-time equality of two strings of any length (compares their SHA-256 digests). */
export function digestEquals(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** Stands in when the fetcher makes no Open Platform calls: every call says so. */
function unconfigured(): Promise<never> {
  return Promise.reject(new ConfigError('this hub was built with a fetcher that makes no Open Platform calls'));
}
const noComponentFetcher: ComponentFetcher = {
  fetchComponentToken: unconfigured,
  startPushTicket: unconfigured,
  createPreAuthCode: unconfigured,
  queryAuth: unconfigured,
  fetchAuthorizerToken: unconfigured,
  listAuthorizers: unconfigured,
};
