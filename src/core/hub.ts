import { createHash, randomBytes as nodeRandomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { AppNotFoundError, InvalidRequestError, StoreUnavailableError } from '../errors/index.js';
import type { AppRecord, Grant, Store, StoreEvent } from '../stores/store.js';
import { KeyRing } from './client-keys.js';
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import { accessTokenKey, CredentialManager, type CredentialManagerOptions } from './credential-manager.js';
import type { Logger } from './logger.js';
import { silentLogger } from './logger.js';
import type { TokenFetcher } from './token-fetcher.js';
import type { AppStatus, ClientKeyInfo, HubEvents, IssuedToken, TokenService } from './token-service.js';
import { APPID_PATTERN } from './token-service.js';

/** Seals and opens secrets (core/secret-box.ts); the context binds a sealed secret to its app. */
export interface SecretSealer {
  seal(plaintext: string, context: string): string;
  open(sealed: string, context: string): string;
}

/** Everything a Hub needs; durations in milliseconds, defaults in credential-manager.ts. */
export interface HubOptions
  extends Partial<
    Pick<
      CredentialManagerOptions,
      | 'refreshLeadMs'
      | 'serveMarginMs'
      | 'referenceLifetimeMs'
      | 'leaseTtlMs'
      | 'backoffBaseMs'
      | 'backoffMaxMs'
      | 'forceSpacingMs'
      | 'forceDailyLimit'
      | 'adminRetryMs'
      | 'waitPollMs'
      | 'storeRetryMs'
      | 'prefetch'
      | 'background'
    >
  > {
  store: Store;
  secrets: SecretSealer;
  fetcher: TokenFetcher;
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
 * The hub: a TokenService over a Store and WeChat. Holds every app's token in memory, stays in step with other
 * instances and processes through store events, and serves reads without touching the store.
 */
export class Hub implements TokenService {
  readonly #store: Store;
  readonly #secrets: SecretSealer;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #manager: CredentialManager;
  readonly #keys: KeyRing;
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
    // What is left after the hub's own options is the credential manager's tuning.
    const { store: _store, secrets: _secrets, fetcher, clock: _clock, random, randomBytes, logger: _logger, instanceId, healthCheckMs: _h, resyncIntervalMs: _r, ...tuning } = options;
    this.#manager = new CredentialManager({
      ...tuning,
      store: this.#store,
      fetcher,
      openSecret: (app) => this.#secrets.open(app.sealedSecret, app.appid),
      clock: this.#clock,
      random: random ?? Math.random,
      logger: this.#log,
      instanceId: instanceId ?? randomUUID(),
    });
    this.#keys = new KeyRing(this.#store, { randomBytes: randomBytes ?? nodeRandomBytes, now: () => this.#clock.now() });
  }

  /** Hub events (refreshed, refresh_failed, invalidated, adopted) for metrics and logs. */
  get events(): HubEvents {
    return this.#manager.events;
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
    await this.#manager.stop();
    await this.#unsubscribe?.().catch(() => {});
    this.#unsubscribe = undefined;
  }

  currentToken(appid: string): IssuedToken | undefined {
    return this.#manager.peek(appid);
  }

  getAccessToken(appid: string): Promise<IssuedToken> {
    // Not async: the hot path returns the manager's (usually already resolved) promise without another hop.
    if (this.#manager.has(appid)) return this.#manager.get(appid);
    return this.#discover(appid).then(() => this.#manager.get(appid));
  }

  async invalidate(appid: string, badToken: string): Promise<IssuedToken> {
    if (!this.#manager.has(appid)) await this.#discover(appid);
    if (typeof badToken !== 'string' || badToken.length === 0 || badToken.length > 512) {
      throw new InvalidRequestError('access_token must be the non-empty token WeChat rejected');
    }
    return this.#manager.invalidate(appid, badToken);
  }

  async refresh(appid: string): Promise<IssuedToken> {
    if (!this.#manager.has(appid)) await this.#discover(appid);
    return this.#manager.forceRefresh(appid);
  }

  async listApps(): Promise<AppStatus[]> {
    return this.#manager.statuses();
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
    if (existing) await this.#clearFailure(appid);
    this.#manager.upsertApp(record, await this.#store.getCredential(accessTokenKey(appid)));
    this.#log.info({ appid, grant: input.grant, created: !existing }, existing ? 'app updated' : 'app added');
    return { created: !existing };
  }

  async removeApp(appid: string): Promise<boolean> {
    validateAppid(appid);
    const existed = await this.#store.deleteApp(appid);
    this.#manager.dropApp(appid);
    if (existed) this.#log.info({ appid }, 'app removed');
    return existed;
  }

  async hasApp(appid: string): Promise<boolean> {
    return this.#manager.has(appid) || (APPID_PATTERN.test(appid) && (await this.#store.getApp(appid)) !== null);
  }

  async verifySecret(appid: string, secret: string): Promise<boolean> {
    const app = this.#manager.app(appid) ?? (APPID_PATTERN.test(appid) ? await this.#store.getApp(appid) : null);
    if (!app) return false;
    return digestEquals(this.#secrets.open(app.sealedSecret, appid), secret);
  }

  authenticate(presentedKey: string): { readonly name: string; readonly apps: readonly string[] } | null {
    return this.#keys.authenticate(presentedKey);
  }

  createClientKey(name: string, apps: readonly string[]): Promise<string> {
    return this.#keys.create(name, apps);
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

  #scheduleHealthCheck(): void {
    this.#cancelHealth = this.#clock.setTimer(() => {
      void this.isReady().then(async (ready) => {
        if (ready && this.#clock.now() - this.#lastResync >= this.#resyncIntervalMs) await this.#resync();
        if (this.#cancelHealth) this.#scheduleHealthCheck();
      });
    }, this.#healthCheckMs);
  }

  /** Re-reads every app, token and key; rejects (StoreUnavailableError) when the store cannot answer. */
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
    this.#manager.upsertApp(app, await this.#store.getCredential(accessTokenKey(appid)));
  }

  async #reloadApps(): Promise<void> {
    const apps = await this.#store.listApps();
    const seen = new Set<string>();
    for (const app of apps) {
      seen.add(app.appid);
      this.#manager.upsertApp(app, await this.#store.getCredential(accessTokenKey(app.appid)));
    }
    for (const appid of this.#manager.appids()) if (!seen.has(appid)) this.#manager.dropApp(appid);
  }

  async #clearFailure(appid: string): Promise<void> {
    const key = accessTokenKey(appid);
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
          return this.#manager.onCredentialEvent(event.key, event.version);
        case 'client-key':
          return this.#keys.reload();
        case 'app': {
          const app = await this.#store.getApp(event.appid);
          if (!app) return this.#manager.dropApp(event.appid);
          return this.#manager.upsertApp(app, await this.#store.getCredential(accessTokenKey(app.appid)));
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

function validateAppid(appid: string): void {
  if (!APPID_PATTERN.test(appid)) throw new InvalidRequestError(`invalid appid ${JSON.stringify(appid)}: expected "wx" and 16 hex digits`);
}

/** Constant-time equality of two strings of any length (compares their SHA-256 digests). */
export function digestEquals(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}
