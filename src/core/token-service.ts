import type { Grant } from '../stores/store.js';
import type { RefreshReason } from './engine/intent.js';
import type { TicketType, WeComTicketType } from '../wechat/index.js';
import { appResource, scopeCovers, type ClientIdentity, type KeyAction } from './key-scope.js';

export type { RefreshReason } from './engine/intent.js';

/** A credential handed to a caller: the token and its absolute expiry (epoch ms). */
export interface IssuedToken {
  readonly token: string;
  readonly expiresAt: number;
}

/** Where an app's credential stands, for the admin API and `wxtoken app list`. No secret, no token. */
export interface AppStatus {
  readonly appid: string;
  readonly grant: Grant;
  /**
   * `ok`: a valid token is held; `pending`: none yet (first fetch not done); `retrying`: the last refresh failed
   * transiently or on quota and will be retried at `nextAttemptAt`; `failed`: WeChat rejected the credentials,
   * no automatic retry until the app is changed or a refresh is forced; `idle` (kinds refreshed only while used,
   * such as Open Platform authorizer tokens, never an app's): the value ran out with no caller in the kind's window
   * (24 h for authorizers), and the next caller fetches one.
   */
  readonly state: 'ok' | 'pending' | 'idle' | 'retrying' | 'failed';
  readonly tokenExpiresAt: number | null;
  readonly lastRefreshAt: number | null;
  readonly nextAttemptAt: number | null;
  readonly lastError: { readonly code: string; readonly message: string; readonly errcode?: number; readonly at: number } | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** Where one credential of any kind stands, for the admin API. No secret, no value. */
export interface CredentialState {
  /** `<appid>:<kind>`. */
  readonly key: string;
  /** The kind's name, e.g. `access_token`, `jsapi_ticket`. */
  readonly kind: string;
  readonly appid: string;
  /** As AppStatus.state. */
  readonly state: 'ok' | 'pending' | 'idle' | 'retrying' | 'failed';
  readonly tokenExpiresAt: number | null;
  readonly lastRefreshAt: number | null;
  readonly nextAttemptAt: number | null;
  readonly lastError: AppStatus['lastError'];
}

/** A ticket handed to a caller: the value, its serving expiry, and whether its age is known (see core/kinds/ticket.ts). */
export interface IssuedTicket extends IssuedToken {
  readonly ageKnown: boolean;
}

/** A signed JS-SDK `wx.config`: everything a page passes to it but `jsApiList`. */
export interface JsSdkConfig {
  readonly appId: string;
  readonly timestamp: number;
  readonly nonceStr: string;
  readonly signature: string;
}

/** A card signature and the timestamp and nonce it was made with (both must be passed on with it). */
export interface CardSignature {
  readonly timestamp: number;
  readonly nonceStr: string;
  readonly signature: string;
}

/** A client key as the admin sees it (never the key itself). */
export interface ClientKeyInfo {
  readonly name: string;
  /** Scope entries (core/key-scope.ts). */
  readonly apps: readonly string[];
  readonly capabilities: readonly KeyAction[];
  readonly createdAt: number;
  /** null: never expires. */
  readonly expiresAt: number | null;
  /** null: never used (as far as written; about a minute's resolution, see core/key-usage.ts). */
  readonly lastUsedAt: number | null;
}

/** What a new client key may do beyond its scopes; every field optional. */
export interface NewClientKeyOptions {
  /** Only `sign` (JS-SDK configs, card signatures), never a token or ticket. Default false. */
  readonly signOnly?: boolean;
  /** Only `login` (jscode2session, the web OAuth code exchange through the hub), nothing else. Default false. */
  readonly loginOnly?: boolean;
  /** Absolute expiry (epoch ms); default none. Must be in the future. */
  readonly expiresAt?: number | null;
}

/**
 * What the HTTP server and the CLI need from the hub. Implemented by core/hub.ts over a Store and WeChat;
 * every method rejects with a WxTokenError subclass (AppNotFoundError, CredentialsRejectedError,
 * UpstreamUnavailableError, QuotaExhaustedError, StoreUnavailableError, InvalidRequestError...).
 */
export interface TokenService {
  /** The app's current access token, fetching it first if none is held (concurrent callers share one fetch). */
  getAccessToken(appid: string): Promise<IssuedToken>;
  /**
   * The token held in memory if one may be served right now, without I/O; undefined otherwise (then call
   * getAccessToken). Optional: it only lets the server answer the hot path without a promise.
   */
  currentToken?(appid: string): IssuedToken | undefined;
  /**
   * When the hub will replace the app's current token (epoch ms), if one is held: the WeChat-compatible endpoints
   * end the `expires_in` they hand out there, so an SDK that caches for exactly that long comes back in time.
   * Optional: without it they hand out the serving window.
   */
  tokenRefreshAt?(appid: string): number | undefined;
  /** The app's current JS-SDK (`jsapi`) or card (`wx_card`) ticket, fetched with its access token when none is held. */
  getTicket(appid: string, type: TicketType): Promise<IssuedTicket>;
  /** The app whose current access token `token` is, if the hub issued it (for the WeChat-compatible getticket). */
  appOfToken?(token: string): string | undefined;
  /** A `wx.config` for the page at `url`, signed by the hub with the app's jsapi ticket (which never leaves it). */
  signJsSdkConfig(appid: string, url: string): Promise<JsSdkConfig>;
  /** A card signature over `values` (card_id, code, openid…), the app's wx_card ticket, a timestamp and a nonce. */
  signCard(appid: string, values: readonly string[]): Promise<CardSignature>;
  /** Reports a token WeChat rejected; refreshes only if it is still the current one. Resolves to the current token. */
  invalidate(appid: string, badToken: string): Promise<IssuedToken>;
  /** Operator-forced refresh (stable grant: force mode, within WeChat's spacing and daily limit). */
  refresh(appid: string): Promise<IssuedToken>;

  listApps(): Promise<AppStatus[]>;
  /**
   * Where every tracked credential of every kind stands (the dashboard's list). Optional: without it the dashboard
   * shows each app's access token from listApps.
   */
  listCredentials?(): CredentialState[];
  /** Creates or updates an app; a changed secret clears a `failed` state. Returns whether it was created. */
  putApp(appid: string, app: { secret: string; grant: Grant }): Promise<{ created: boolean }>;
  /** Returns whether the app existed. */
  removeApp(appid: string): Promise<boolean>;
  /** Whether the app is registered (without loading every app's status). */
  hasApp(appid: string): Promise<boolean>;
  /** Constant-time check of an AppSecret against the stored one (false for unknown apps). */
  verifySecret(appid: string, secret: string): Promise<boolean>;
  /**
   * Runs `use` with the app's AppSecret, unsealed for this call only (AppNotFoundError for an unknown app). For
   * the calls WeChat authenticates with the secret itself (user login, clear_quota/v2); optional so that token
   * services without secrets (test fakes) need not implement it.
   */
  withAppSecret?<T>(appid: string, use: (secret: string) => Promise<T>): Promise<T>;

  /**
   * The identity of a presented bearer key, or null when it is unknown or expired. Synchronous: keys are cached
   * in memory. Authorise with keyAllows (core/key-scope.ts).
   */
  authenticate(presentedKey: string): ClientIdentity | null;
  /**
   * Creates a client key with scope entries `apps` (appids, `*`, resources: core/key-scope.ts); returns the key
   * itself (shown once). ConflictError when the name is taken.
   */
  createClientKey(name: string, apps: readonly string[], options?: NewClientKeyOptions): Promise<string>;
  listClientKeys(): Promise<ClientKeyInfo[]>;
  /** Returns whether a key of that name existed. */
  revokeClientKey(name: string): Promise<boolean>;

  /** Whether the store answers (for /readyz). */
  isReady(): Promise<boolean>;

  /** WeCom apps; absent on services that hold none (the WeCom routes then answer 404). */
  readonly wecom?: WeComService;
}

/**
 * Whether a client key's scopes cover an app, whatever its capabilities. Routes decide with keyAllows
 * (core/key-scope.ts), which checks the capability too; this stays for callers that only need the scope.
 */
export function keyCovers(key: { readonly scopes: readonly string[] }, appid: string): boolean {
  const resource = appResource(appid);
  return key.scopes.some((scope) => scopeCovers(scope, resource));
}

export type { ClientIdentity, KeyAction, Resource } from './key-scope.js';

/** Official Account / Mini Program appid: `wx` + 16 hex digits. */
export const APPID_PATTERN = /^wx[0-9a-f]{16}$/;

/** Events the hub emits for observers (metrics, logs). Payloads carry no secrets and no values. */
export interface HubEventMap {
  /** A new value of a credential of `kind` was obtained from WeChat and stored. */
  refreshed: [{ appid: string; kind: string; expiresAt: number; durationMs: number; reason: RefreshReason }];
  /** A refresh attempt failed; `retryAt` is undefined when the credential is now `failed`. */
  refresh_failed: [{ appid: string; kind: string; code: string; errcode?: number; category: string; retryAt?: number }];
  /**
   * A caller reported a value as rejected: it caused a refresh, was no longer current (`stale`, nothing
   * refreshed), or came under the invalidation floor (`throttled`, refused).
   */
  invalidated: [{ appid: string; kind: string; result: 'refreshed' | 'stale' | 'throttled' }];
  /** Another instance (or process) published a newer value and this instance adopted it. */
  adopted: [{ appid: string; kind: string; expiresAt: number }];
  /** A refresh found the credential's lease held by another instance and waits for its result. */
  lease_waited: [{ appid: string; kind: string }];
}

/** A WeCom app as listed: where its token stands. */
export interface WeComAgentStatus extends Omit<CredentialState, 'key' | 'kind' | 'appid'> {
  readonly corpid: string;
  /** The agentid, or the name of a secret that belongs to no agent (`contacts`). */
  readonly agent: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** The two signatures a WeCom page needs: `wx.config` (the corp ticket) and `wx.agentConfig` (the app's ticket). */
export interface WeComJsSdkConfig {
  readonly config: { readonly appId: string; readonly timestamp: number; readonly nonceStr: string; readonly signature: string };
  readonly agentConfig: {
    readonly corpid: string;
    readonly agentid: number;
    readonly timestamp: number;
    readonly nonceStr: string;
    readonly signature: string;
  };
}

/** WeCom (企业微信) apps: what the routes need of the hub's WeCom side (core/wecom-agents.ts). */
export interface WeComService {
  /** Registers or updates an app's secret; returns whether it was created. */
  put(corpid: string, agent: string, input: { secret: string }): Promise<{ created: boolean }>;
  /** Returns whether the app existed. */
  remove(corpid: string, agent: string): Promise<boolean>;
  list(): WeComAgentStatus[];
  getToken(corpid: string, agent: string): Promise<IssuedToken>;
  invalidate(corpid: string, agent: string, badToken: string): Promise<IssuedToken>;
  refresh(corpid: string, agent: string): Promise<IssuedToken>;
  getTicket(corpid: string, agent: string, type: WeComTicketType): Promise<IssuedTicket>;
  signJsSdkConfig(corpid: string, agent: string, url: string): Promise<WeComJsSdkConfig>;
  /** The app whose current token `token` is, if the hub issued it. */
  agentOfToken(token: string): { corpid: string; agent: string } | undefined;
  /** The app of `corpid` whose secret `secret` is (constant-time comparisons), if any. */
  agentOfSecret(corpid: string, secret: string): Promise<string | undefined>;
  /** The registered apps of a corp. */
  agentsOf(corpid: string): Promise<string[]>;
}

/** The subset of EventEmitter observers use, typed by HubEventMap. */
export interface HubEvents {
  on<K extends keyof HubEventMap>(event: K, listener: (...args: HubEventMap[K]) => void): unknown;
  off<K extends keyof HubEventMap>(event: K, listener: (...args: HubEventMap[K]) => void): unknown;
}
