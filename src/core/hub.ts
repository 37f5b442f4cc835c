import { createHash, randomBytes as nodeRandomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { AppNotFoundError, InvalidRequestError, StoreUnavailableError } from '../errors/index.js';
import type { AppRecord, CredentialRecord, Grant, Store, StoreEvent } from '../stores/store.js';
import { cardSignature, jssdkSignature, newNonceStr, TICKET_TYPES, type TicketType } from '../wechat/index.js';
import { KeyRing } from './client-keys.js';
import type { Clock } from '../util/clock.js';
import { systemClock } from '../util/clock.js';
import { CredentialEngine, type EngineTuning } from './engine/credential-engine.js';
import { accessTokenKind } from './kinds/access-token.js';
import { DEFAULT_FORCE_DAILY_LIMIT, DEFAULT_FORCE_SPACING_MS } from './kinds/force-gate.js';
import { credentialKey, type CredentialKind } from './kinds/kind.js';
import { ticketAgeKnown, ticketKind } from './kinds/ticket.js';
import type { Logger } from '../util/logger.js';
import { silentLogger } from '../util/logger.js';
import type { CredentialFetcher } from './token-fetcher.js';
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
}

/** Ping interval: an outage is noticed (and /readyz turns) within this. */
export const DEFAULT_HEALTH_CHECK_MS = 5_000;
/** Full re-read interval: bounds how long a lost pub/sub message can leave an instance behind. */
export const DEFAULT_RESYNC_INTERVAL_MS = 60_000;

const GRANTS: readonly Grant[] = ['stable', 'classic'];
/** WeChat AppSecrets are 32 hex characters; accept any printable string up to this length to be future-proof. */
const MAX_SECRET_LENGTH = 256;

/**
 * The hub: a TokenService over a Store and WeChat. Holds every tracked credential in memory (every app's access
 * token; its tickets once asked for), stays in step with other instances and processes through store events, and
 * serves reads without touching the store.
 */
export class Hub implements TokenService {
  readonly #store: Store;
  readonly #secrets: SecretSealer;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #engine: CredentialEngine;
  readonly #accessToken: CredentialKind;
  readonly #tickets: ReadonlyMap<TicketType, CredentialKind>;
  readonly #keys: KeyRing;
  readonly #randomBytes: (size: number) => Buffer;
  readonly #healthCheckMs: number;
  readonly #resyncIntervalMs: number;
  readonly #background: boolean;
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
      forceSpacingMs,
      forceDailyLimit,
      ...tuning
    } = options;
    this.#accessToken = accessTokenKind(fetcher, {
      spacingMs: forceSpacingMs ?? DEFAULT_FORCE_SPACING_MS,
      dailyLimit: forceDailyLimit ?? DEFAULT_FORCE_DAILY_LIMIT,
    });
    this.#tickets = new Map(TICKET_TYPES.map((type) => [type, ticketKind(type, this.#accessToken, fetcher)]));
    this.#engine = new CredentialEngine({
      ...tuning,
      store: this.#store,
      kinds: [this.#accessToken, ...this.#tickets.values()],
      openSecret: (app) => this.#secrets.open(app.sealedSecret, app.appid),
      clock: this.#clock,
      random: random ?? Math.random,
      logger: this.#log,
      instanceId: instanceId ?? randomUUID(),
    });
    this.#randomBytes = randomBytes ?? nodeRandomBytes;
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
    await this.#reloadApps();
    this.#lastResync = this.#clock.now();
    if (this.#background) this.#scheduleHealthCheck();
  }

  /** Stops timers and the subscription and waits for refreshes in progress; the caller closes the store. */
  async stop(): Promise<void> {
    this.#cancelHealth?.();
    this.#cancelHealth = undefined;
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
    const key = credentialKey(appid, kind);
    if (!this.#engine.has(key)) {
      const tokenKey = this.#tokenKey(appid);
      if (!this.#engine.has(tokenKey)) await this.#discover(appid);
      const app = this.#engine.app(tokenKey);
      if (!app) throw new AppNotFoundError(appid);
      this.#engine.track(kind, app, await this.#store.getCredential(key));
    }
    const issued = await this.#engine.get(key);
    return { ...issued, ageKnown: ticketAgeKnown(this.#engine.record(key)) };
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
    if (!this.#engine.has(this.#tokenKey(appid))) await this.#discover(appid);
    if (typeof badToken !== 'string' || badToken.length === 0 || badToken.length > 512) {
      throw new InvalidRequestError('access_token must be the non-empty token WeChat rejected');
    }
    return this.#engine.invalidate(this.#tokenKey(appid), badToken);
  }

  async refresh(appid: string): Promise<IssuedToken> {
    if (!this.#engine.has(this.#tokenKey(appid))) await this.#discover(appid);
    return this.#engine.forceRefresh(this.#tokenKey(appid));
  }

  async listApps(): Promise<AppStatus[]> {
    return this.#engine.states([this.#accessToken]).flatMap((state) => {
      const app = this.#engine.app(state.key);
      if (!app) return [];
      const { key: _key, kind: _kind, ...rest } = state;
      return [{ ...rest, grant: app.grant, createdAt: app.createdAt, updatedAt: app.updatedAt }];
    });
  }

  appOfToken(token: string): string | undefined {
    const key = this.#engine.keyOfValue(token);
    const app = key === undefined ? undefined : this.#engine.app(key);
    return app && key === this.#tokenKey(app.appid) ? app.appid : undefined;
  }

  /** Where every tracked credential of every kind stands. */
  listCredentials(): CredentialState[] {
    return this.#engine.states();
  }

  async putApp(appid: string, input: { secret: string; grant: Grant }): Promise<{ created: boolean }> {
    validateAppid(appid);
    if (!GRANTS.includes(input.grant)) throw new InvalidRequestError(`grant must be "stable" or "classic", got ${JSON.stringify(input.grant)}`);
    if (typeof input.secret !== 'string' || !/^[\x21-\x7e]+$/.test(input.secret) || input.secret.length > MAX_SECRET_LENGTH) {
      throw new InvalidRequestError(`secret must be 1-${MAX_SECRET_LENGTH} printable ASCII characters without spaces`);
    }
    const existing = await this.#store.getApp(appid);
    const now = this.#clock.now();
    const changed = !existing || existing.grant !== input.grant || this.#secrets.open(existing.sealedSecret, appid) !== input.secret;
    if (existing && !changed) return { created: false };
    const record: AppRecord = {
      appid,
      grant: input.grant,
      sealedSecret: this.#secrets.seal(input.secret, appid),
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    };
    await this.#store.putApp(record);
    if (existing) for (const key of this.#engine.keysOf(appid)) await this.#clearFailure(key);
    await this.#track(record);
    this.#log.info({ appid, grant: input.grant, created: !existing }, existing ? 'app updated' : 'app added');
    return { created: !existing };
  }

  async removeApp(appid: string): Promise<boolean> {
    validateAppid(appid);
    const existed = await this.#store.deleteApp(appid);
    this.#engine.dropApp(appid);
    if (existed) this.#log.info({ appid }, 'app removed');
    return existed;
  }

  async hasApp(appid: string): Promise<boolean> {
    return this.#engine.has(this.#tokenKey(appid)) || (APPID_PATTERN.test(appid) && (await this.#store.getApp(appid)) !== null);
  }

  async verifySecret(appid: string, secret: string): Promise<boolean> {
    const app = this.#engine.app(this.#tokenKey(appid)) ?? (APPID_PATTERN.test(appid) ? await this.#store.getApp(appid) : null);
    if (!app) return false;
    return digestEquals(this.#secrets.open(app.sealedSecret, appid), secret);
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

  /** Re-reads every app, credential and key; rejects (StoreUnavailableError) when the store cannot answer. */
  async #reloadAll(): Promise<void> {
    this.#lastResync = this.#clock.now();
    await Promise.all([this.#keys.reload(), this.#reloadApps()]);
  }

  async #resync(): Promise<void> {
    await this.#reloadAll().catch((err: unknown) => {
      if (err instanceof StoreUnavailableError) this.#setStoreHealth(false, err);
    });
  }

  /** An app registered by another process whose event has not arrived yet is picked up on first use. */
  async #discover(appid: string): Promise<void> {
    if (!APPID_PATTERN.test(appid)) throw new InvalidRequestError(`invalid appid ${JSON.stringify(appid)}: expected "wx" and 16 hex digits`);
    const app = await this.#store.getApp(appid);
    if (!app) throw new AppNotFoundError(appid);
    await this.#track(app);
  }

  /** Hands the engine an app with the stored records of its access token and of every credential it tracks. */
  async #track(app: AppRecord): Promise<void> {
    const keys = new Set([this.#tokenKey(app.appid), ...this.#engine.keysOf(app.appid)]);
    const records = new Map<string, CredentialRecord>();
    for (const key of keys) {
      const record = await this.#store.getCredential(key);
      if (record) records.set(key, record);
    }
    this.#engine.upsertApp(app, records);
  }

  async #reloadApps(): Promise<void> {
    const apps = await this.#store.listApps();
    const seen = new Set<string>();
    for (const app of apps) {
      seen.add(app.appid);
      await this.#track(app);
    }
    for (const appid of this.#engine.appids(this.#accessToken)) if (!seen.has(appid)) this.#engine.dropApp(appid);
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
        case 'app': {
          const app = await this.#store.getApp(event.appid);
          if (!app) return this.#engine.dropApp(event.appid);
          return this.#track(app);
        }
        case 'resync':
          // Not #resync: a failure must reach the health handling below rather than read as success.
          return this.#reloadAll();
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
      void this.#resync();
    } else {
      this.#log.warn({ store: this.#store.description, err: String(err) }, 'store unreachable; serving held tokens until they expire');
    }
  }
}

/** The longest page URL the hub signs; WeChat's own limit is not published, browsers cap URLs near this. */
const MAX_PAGE_URL_LENGTH = 8_192;

/** A page URL as `wx.config` signs it: absolute http(s), within the length limit. */
function validatePageUrl(url: unknown): void {
  let parsed: URL | undefined;
  try {
    parsed = typeof url === 'string' && url.length <= MAX_PAGE_URL_LENGTH ? new URL(url) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw new InvalidRequestError(`url must be the page's absolute http(s) URL, at most ${MAX_PAGE_URL_LENGTH} characters`);
  }
}

function validateAppid(appid: string): void {
  if (!APPID_PATTERN.test(appid)) throw new InvalidRequestError(`invalid appid ${JSON.stringify(appid)}: expected "wx" and 16 hex digits`);
}

/** Constant-time equality of two strings of any length (compares their SHA-256 digests). */
export function digestEquals(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}
