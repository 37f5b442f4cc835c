import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../src/util/clock.js';
import type { AppStatus, CardSignature, ClientKeyInfo, IssuedTicket, IssuedToken, JsSdkConfig, NewClientKeyOptions, TokenService } from '../../src/core/token-service.js';
import { APPID_PATTERN } from '../../src/core/token-service.js';
import { capabilitiesFrom, LOGIN_ONLY_CAPABILITIES, parseScopes, SIGN_ONLY_CAPABILITIES, type ClientIdentity } from '../../src/core/key-scope.js';
import { AppNotFoundError, ConflictError, InvalidRequestError, type WxTokenError } from '../../src/errors/index.js';
import type { Grant } from '../../src/stores/store.js';
import { cardSignature, jssdkSignature, type TicketType } from '../../src/wechat/index.js';

interface FakeApp {
  secret: string;
  grant: Grant;
  token: IssuedToken | null;
  lastRefreshAt: number | null;
  createdAt: number;
  updatedAt: number;
}

interface FakeKey {
  name: string;
  apps: string[];
  hash: string;
  createdAt: number;
  capabilities: readonly string[] | null;
  expiresAt: number | null;
}

/** Token lifetime the fake hands out, like WeChat's. */
export const FAKE_TOKEN_LIFETIME_MS = 7_200_000;

/**
 * An in-memory TokenService with the real one's observable behaviour: apps with secrets, tokens that are reused
 * until invalidated or refreshed, hashed client keys, and the real error classes. Test knobs: `failNext` makes
 * the next token read of an app reject, `gate` holds token reads until released, `issueWith` chooses the token.
 */
export class FakeTokenService implements TokenService {
  readonly apps = new Map<string, FakeApp>();
  readonly #keys = new Map<string, FakeKey>();
  readonly #clock: Clock;
  readonly #seq = new Map<string, number>();
  #ready = true;
  #failures = new Map<string, WxTokenError>();
  #gate: Promise<void> | null = null;
  /** Every call, by method name, for assertions. */
  readonly calls: Array<{ method: string; args: unknown[] }> = [];
  /** Produces the next token for an app; defaults to `fake-<appid>-<n>`, n counting per app from 1. */
  issueWith: (appid: string) => IssuedToken;

  constructor(clock: Clock) {
    this.#clock = clock;
    this.issueWith = (appid) => {
      const n = (this.#seq.get(appid) ?? 0) + 1;
      this.#seq.set(appid, n);
      return { token: `fake-${appid}-${n}`, expiresAt: this.#clock.now() + FAKE_TOKEN_LIFETIME_MS };
    };
  }

  /** Registers an app directly (no HTTP). */
  addApp(appid: string, secret: string, grant: Grant = 'stable'): void {
    const now = this.#clock.now();
    this.apps.set(appid, { secret, grant, token: null, lastRefreshAt: null, createdAt: now, updatedAt: now });
  }

  /** The next token read (getAccessToken, invalidate, refresh) of `appid` rejects with `err`. */
  failNext(appid: string, err: WxTokenError): void {
    this.#failures.set(appid, err);
  }

  /** Holds token reads until the returned function is called. */
  gate(): () => void {
    let release!: () => void;
    this.#gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    return () => {
      this.#gate = null;
      release();
    };
  }

  setReady(ready: boolean): void {
    this.#ready = ready;
  }

  async getAccessToken(appid: string): Promise<IssuedToken> {
    this.calls.push({ method: 'getAccessToken', args: [appid] });
    const app = await this.#readable(appid);
    if (app.token === null || app.token.expiresAt <= this.#clock.now()) this.#issue(appid, app);
    return app.token!;
  }

  appOfToken(token: string): string | undefined {
    for (const [appid, app] of this.apps) if (app.token?.token === token) return appid;
    return undefined;
  }

  /** Tickets are `fake-ticket-<appid>-<type>`, valid for a token lifetime from the first read. */
  async getTicket(appid: string, type: TicketType): Promise<IssuedTicket> {
    this.calls.push({ method: 'getTicket', args: [appid, type] });
    await this.#readable(appid);
    return { token: `fake-ticket-${appid}-${type}`, expiresAt: this.#clock.now() + FAKE_TOKEN_LIFETIME_MS, ageKnown: true };
  }

  /** Signs with the fake ticket and the nonce `fakenonce`. */
  async signJsSdkConfig(appid: string, url: string): Promise<JsSdkConfig> {
    this.calls.push({ method: 'signJsSdkConfig', args: [appid, url] });
    const { token: ticket } = await this.getTicket(appid, 'jsapi');
    const timestamp = Math.floor(this.#clock.now() / 1000);
    return { appId: appid, timestamp, nonceStr: 'fakenonce', signature: jssdkSignature({ ticket, nonceStr: 'fakenonce', timestamp, url }) };
  }

  async signCard(appid: string, values: readonly string[]): Promise<CardSignature> {
    this.calls.push({ method: 'signCard', args: [appid, values] });
    const { token: ticket } = await this.getTicket(appid, 'wx_card');
    const timestamp = Math.floor(this.#clock.now() / 1000);
    return { timestamp, nonceStr: 'fakenonce', signature: cardSignature([ticket, String(timestamp), 'fakenonce', ...values]) };
  }

  async invalidate(appid: string, badToken: string): Promise<IssuedToken> {
    this.calls.push({ method: 'invalidate', args: [appid, badToken] });
    const app = await this.#readable(appid);
    if (app.token === null || app.token.token === badToken) this.#issue(appid, app);
    return app.token!;
  }

  async refresh(appid: string): Promise<IssuedToken> {
    this.calls.push({ method: 'refresh', args: [appid] });
    const app = await this.#readable(appid);
    this.#issue(appid, app);
    return app.token!;
  }

  async listApps(): Promise<AppStatus[]> {
    return [...this.apps].map(([appid, a]) => ({
      appid,
      grant: a.grant,
      state: a.token === null ? 'pending' : 'ok',
      tokenExpiresAt: a.token?.expiresAt ?? null,
      lastRefreshAt: a.lastRefreshAt,
      nextAttemptAt: null,
      lastError: null,
      createdAt: a.createdAt,
      updatedAt: a.updatedAt,
    }));
  }

  async putApp(appid: string, app: { secret: string; grant: Grant }): Promise<{ created: boolean }> {
    this.calls.push({ method: 'putApp', args: [appid, { grant: app.grant }] });
    if (!APPID_PATTERN.test(appid)) throw new InvalidRequestError(`invalid appid ${appid}`);
    const existing = this.apps.get(appid);
    if (existing) {
      existing.secret = app.secret;
      existing.grant = app.grant;
      existing.updatedAt = this.#clock.now();
      return { created: false };
    }
    this.addApp(appid, app.secret, app.grant);
    return { created: true };
  }

  async removeApp(appid: string): Promise<boolean> {
    return this.apps.delete(appid);
  }

  async hasApp(appid: string): Promise<boolean> {
    return this.apps.has(appid);
  }

  async verifySecret(appid: string, secret: string): Promise<boolean> {
    const app = this.apps.get(appid);
    const stored = sha256(app?.secret ?? '');
    return timingSafeEqual(sha256(secret), stored) && app !== undefined;
  }

  async withAppSecret<T>(appid: string, use: (secret: string) => Promise<T>): Promise<T> {
    const app = this.apps.get(appid);
    if (!app) throw new AppNotFoundError(appid);
    return use(app.secret);
  }

  authenticate(presentedKey: string): ClientIdentity | null {
    const key = this.#keys.get(sha256(presentedKey).toString('hex'));
    if (key === undefined || (key.expiresAt !== null && this.#clock.now() >= key.expiresAt)) return null;
    return { name: key.name, scopes: key.apps, capabilities: capabilitiesFrom(key.capabilities) };
  }

  async createClientKey(name: string, apps: readonly string[], options: NewClientKeyOptions = {}): Promise<string> {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) throw new InvalidRequestError('bad key name');
    const scopes = parseScopes(apps);
    const expiresAt = options.expiresAt ?? null;
    if (expiresAt !== null && expiresAt <= this.#clock.now()) throw new InvalidRequestError('a key expiry must be a time in the future');
    if ([...this.#keys.values()].some((k) => k.name === name)) throw new ConflictError(`a client key named ${name} already exists`);
    const key = `wxt_${randomBytes(32).toString('base64url')}`;
    const hash = sha256(key).toString('hex');
    const capabilities = options.signOnly ? [...SIGN_ONLY_CAPABILITIES] : options.loginOnly ? [...LOGIN_ONLY_CAPABILITIES] : null;
    this.#keys.set(hash, { name, apps: scopes, hash, createdAt: this.#clock.now(), capabilities, expiresAt });
    return key;
  }

  async listClientKeys(): Promise<ClientKeyInfo[]> {
    return [...this.#keys.values()].map((k) => ({
      name: k.name,
      apps: k.apps,
      capabilities: capabilitiesFrom(k.capabilities),
      createdAt: k.createdAt,
      expiresAt: k.expiresAt,
      lastUsedAt: null,
    }));
  }

  async revokeClientKey(name: string): Promise<boolean> {
    for (const [hash, k] of this.#keys) {
      if (k.name === name) {
        this.#keys.delete(hash);
        return true;
      }
    }
    return false;
  }

  async isReady(): Promise<boolean> {
    return this.#ready;
  }

  async #readable(appid: string): Promise<FakeApp> {
    if (this.#gate) await this.#gate;
    const failure = this.#failures.get(appid);
    if (failure) {
      this.#failures.delete(appid);
      throw failure;
    }
    const app = this.apps.get(appid);
    if (!app) throw new AppNotFoundError(appid);
    return app;
  }

  #issue(appid: string, app: FakeApp): void {
    app.token = this.issueWith(appid);
    app.lastRefreshAt = this.#clock.now();
  }
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
