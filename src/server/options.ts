import type { DestinationStream, LoggerOptions } from 'pino';
import type { Clock } from '../util/clock.js';
import { systemClock } from '../util/clock.js';
import type { OpsEvents } from '../core/ops-events.js';
import type { CredentialState, HubEvents, TokenService } from '../core/token-service.js';
import { DEFAULT_METRICS_APP_LIMIT, type QuotaUsage } from './metrics.js';
import { ConfigError } from '../errors/index.js';
import { assertRandomKey, MIN_KEY_LENGTH } from './key-strength.js';
import { resolveDashboardOptions, type DashboardOptions, type ResolvedDashboardOptions } from './dashboard/options.js';
import { DEFAULT_TOKEN_CHECK_INTERVAL_MS } from './compat/token-verifier.js';

/** Pino options for the server's logger; `stream` picks the destination (stdout by default). */
export type ServerLoggerOptions = LoggerOptions & { stream?: DestinationStream };

/** What `createServer` needs: the hub behind the API and a few knobs. */
export interface ServerOptions {
  /** The hub: every token decision lives behind this interface; the server only translates HTTP. */
  service: TokenService;
  /** Hub events to count in /metrics (refreshes, failures, invalidations, adoptions). */
  events?: HubEvents;
  /** Upstream call timings and store errors to count in /metrics (the CLI's HubRuntime.ops). */
  ops?: OpsEvents;
  /** Every tracked credential's state, read at each scrape for the credential gauges (Hub.listCredentials). */
  credentials?: () => readonly CredentialState[];
  /** Quotas the hub counts, read at each scrape (Hub.quotaUsage). */
  quota?: () => readonly QuotaUsage[];
  /** Distinct appids with per-app metric series before the rest share `(other)`. Default DEFAULT_METRICS_APP_LIMIT. */
  metricsAppLimit?: number;
  /** Bearer key for the admin API (the CLI reads WXTOKEN_ADMIN_KEY). Undefined: every admin call answers 401. */
  adminKey?: string;
  /**
   * The dashboard at /dashboard (sign-in with the admin key; `/` redirects there). Served only when `adminKey` is
   * set; `false` turns it off. Defaults in dashboard/options.ts.
   */
  dashboard?: DashboardOptions | false;
  /** Where the WeChat-compatible passthrough forwards business calls. Default DEFAULT_UPSTREAM_BASE_URL. */
  upstreamBaseUrl?: string;
  /**
   * Where the passthrough forwards calls made with a WeCom token the hub issued (WeCom's API host is not WeChat's).
   * Default DEFAULT_WECOM_BASE_URL.
   */
  wecomUpstreamBaseUrl?: string;
  /** Path prefixes forwarded to `upstreamBaseUrl`. Default DEFAULT_PASSTHROUGH_PREFIXES; `[]` disables the passthrough. */
  passthroughPrefixes?: readonly string[];
  /** Abort a forwarded call after this long. Default DEFAULT_UPSTREAM_TIMEOUT_MS. */
  upstreamTimeoutMs?: number;
  /**
   * Largest request body the passthrough and the proxy forward (streamed, never held whole). Default
   * DEFAULT_PASSTHROUGH_BODY_LIMIT_BYTES. `bodyLimitBytes` still bounds every body the hub reads itself.
   */
  passthroughBodyLimitBytes?: number;
  /**
   * Request bodies up to this size are held while forwarded so a call WeChat rejects for its token can be replayed;
   * larger ones are streamed and not replayed. Default DEFAULT_REPLAY_BODY_LIMIT_BYTES.
   */
  replayBodyLimitBytes?: number;
  /**
   * At most one verification call per app this often, when an SDK comes back early for a token
   * (compat/token-verifier.ts). 0 disables verification. Default DEFAULT_TOKEN_CHECK_INTERVAL_MS.
   */
  tokenCheckIntervalMs?: number;
  /** fetch used by the passthrough. Default: the global fetch. */
  fetch?: typeof fetch;
  /** Time source for `expires_in`, rids and timeouts. Default: the system clock. */
  clock?: Clock;
  /** Random source in [0, 1) for WeChat-style rids. Default Math.random (rids are labels, not secrets). */
  random?: () => number;
  /** false (default), true, or pino options. Authorization headers, query strings and secret fields are never logged. */
  logger?: boolean | ServerLoggerOptions;
  /** Log one line per request (method, path without query, status, time). Default false: it costs hot-path throughput. */
  logRequests?: boolean;
  /** Largest accepted request body. Default DEFAULT_BODY_LIMIT_BYTES. */
  bodyLimitBytes?: number;
  /** Serve GET /metrics and count requests. Default true. */
  metrics?: boolean;
  /**
   * Bearer key GET /metrics requires (it lists every appid). Undefined (default): /metrics is open, as a Prometheus
   * scraper on a private network expects. Must look random, like the admin key; it may be the admin key.
   */
  metricsKey?: string;
  /** Serve HTTPS with this certificate chain and private key (PEM). Default: plain HTTP (TLS terminated in front). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Close a request whose headers and body have not all arrived within this long. Default DEFAULT_REQUEST_TIMEOUT_MS. */
  requestTimeoutMs?: number;
  /** Close a request whose headers have not all arrived within this long (≤ requestTimeoutMs). Default DEFAULT_HEADERS_TIMEOUT_MS. */
  headersTimeoutMs?: number;
  /** Close a keep-alive connection idle between requests for this long. Default DEFAULT_KEEP_ALIVE_TIMEOUT_MS. */
  keepAliveTimeoutMs?: number;
  /** Close a connection on which nothing was sent or received for this long. Default DEFAULT_CONNECTION_TIMEOUT_MS. */
  connectionTimeoutMs?: number;
  /** Refuse connections beyond this many open ones. Default DEFAULT_MAX_CONNECTIONS. */
  maxConnections?: number;
  /** Failed authentications from one address within the window that block it (429). 0 disables. Default DEFAULT_AUTH_FAILURE_LIMIT. */
  authFailureLimit?: number;
  /** The window in which failures are counted, and how long a block lasts. Default DEFAULT_AUTH_FAILURE_WINDOW_MS. */
  authFailureWindowMs?: number;
  /**
   * Forward a caller's own AppSecret on the secret-bearing WeChat paths (jscode2session, the web OAuth code
   * exchange, clear_quota/v2…; docs/api.md) instead of refusing it with 40125. Default false: the hub is the only
   * holder of the secret, and callers present a client key in its place.
   */
  allowCallerSecret?: boolean;
}

/** WeChat's API host; SDKs pointed at the hub reach it through the passthrough. */
export const DEFAULT_UPSTREAM_BASE_URL = 'https://api.weixin.qq.com';

/** WeCom's API host, where calls made with a WeCom token the hub issued go. */
export const DEFAULT_WECOM_BASE_URL = 'https://qyapi.weixin.qq.com';

/**
 * The api.weixin.qq.com path families SDKs such as co-wechat-api and wechat-api call under the base URL they are
 * given; every request under them (except the two token endpoints the hub answers itself) goes to WeChat.
 */
export const DEFAULT_PASSTHROUGH_PREFIXES: readonly string[] = [
  '/cgi-bin/',
  '/sns/',
  '/wxa/',
  '/datacube/',
  '/card/',
  '/merchant/',
  '/shakearound/',
  '/customservice/',
  '/semantic/',
];

/**
 * 64 MiB: above the largest media WeChat accepts (tens of MB for videos), so every upload passes; the body is
 * streamed, so the limit bounds traffic, not memory.
 */
export const DEFAULT_PASSTHROUGH_BODY_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * 1 MiB: every JSON business call (menus, messages, templates) fits and can be replayed after a token rejection;
 * media uploads above it are streamed, and a rejected one is invalidated and passed back for the caller to retry.
 * This much memory per concurrent forwarded call at most.
 */
export const DEFAULT_REPLAY_BODY_LIMIT_BYTES = 1024 * 1024;

export { DEFAULT_TOKEN_CHECK_INTERVAL_MS } from './compat/token-verifier.js';

/**
 * WeChat business calls answer within a few seconds; a caller waiting longer is better served by an error. For
 * forwarded calls it bounds the wait for WeChat's response headers (the upload included) and any pause in its
 * response body.
 */
export const DEFAULT_UPSTREAM_TIMEOUT_MS = 10_000;

/**
 * 16 KiB: the hub's own bodies are under 1 KiB (an app, a key, a reported token) and WeChat JSON business calls
 * (menus, template messages, custom-service messages) stay well below it, while a small cap bounds the memory an
 * unauthenticated client can make the hub buffer. Media uploads through the passthrough need a larger value.
 */
export const DEFAULT_BODY_LIMIT_BYTES = 16 * 1024;

/**
 * 60 s for a request's headers and body to arrive, in all: the hub's callers are services on a nearby network that
 * send a request in milliseconds, and a client trickling bytes (one every few seconds) must not hold a connection,
 * a file descriptor and a body buffer for ever.
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

/** 20 s for the headers alone: a well-behaved client sends them in one packet. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 20_000;

/**
 * 72 s between requests on a keep-alive connection: longer than the 60 s idle timeout of common load balancers and
 * proxies, so they never send a request on a connection the hub is closing (Fastify's default, for that reason).
 */
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 72_000;

/**
 * 120 s with no byte in either direction closes a connection, e.g. a client that stopped reading its response.
 * Longer than the longest a request can legitimately wait (a token read waiting for a slow refresh, bounded by
 * twice the lease), so it never cuts a request the hub is still working on.
 */
export const DEFAULT_CONNECTION_TIMEOUT_MS = 120_000;

/**
 * 512 open connections: more than a fleet of business services holds with keep-alive pools, and well under the
 * common 1024 file-descriptor limit, so a flood of idle or slow connections cannot take the descriptors the store,
 * WeChat and the log need. Raise it together with `ulimit -n`.
 */
export const DEFAULT_MAX_CONNECTIONS = 512;

/**
 * 20 failed authentications a minute from one address block it for a minute. A service with a stale key fails a
 * few times before someone notices, well under 20 a minute; a guesser gets 20 guesses a minute, against keys with
 * 128 bits or more.
 */
export const DEFAULT_AUTH_FAILURE_LIMIT = 20;
/** The window of DEFAULT_AUTH_FAILURE_LIMIT, which is also how long a block lasts. */
export const DEFAULT_AUTH_FAILURE_WINDOW_MS = 60_000;

/** Addresses the failure throttle remembers at once (about 100 bytes each); the oldest is forgotten first. */
export const AUTH_THROTTLE_MAX_ADDRESSES = 10_000;

/**
 * An admin key shorter than this cannot hold 128 random bits; the hub refuses to start with it. Length alone is not
 * enough: assertRandomKey (key-strength.ts) also judges the characters.
 */
export const MIN_ADMIN_KEY_LENGTH = MIN_KEY_LENGTH;

/** ServerOptions with every default applied. */
export interface ResolvedServerOptions {
  readonly service: TokenService;
  readonly events: HubEvents | undefined;
  readonly ops: OpsEvents | undefined;
  readonly credentials: (() => readonly CredentialState[]) | undefined;
  readonly quota: (() => readonly QuotaUsage[]) | undefined;
  readonly metricsAppLimit: number;
  readonly adminKey: string | undefined;
  readonly dashboard: ResolvedDashboardOptions;
  readonly upstreamBaseUrl: string;
  readonly wecomUpstreamBaseUrl: string;
  readonly passthroughPrefixes: readonly string[];
  readonly upstreamTimeoutMs: number;
  readonly passthroughBodyLimitBytes: number;
  readonly replayBodyLimitBytes: number;
  readonly tokenCheckIntervalMs: number;
  readonly fetch: typeof fetch;
  readonly clock: Clock;
  readonly random: () => number;
  readonly logger: boolean | ServerLoggerOptions;
  readonly logRequests: boolean;
  readonly bodyLimitBytes: number;
  readonly metrics: boolean;
  readonly metricsKey: string | undefined;
  readonly tls: { cert: string | Buffer; key: string | Buffer } | undefined;
  readonly requestTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly connectionTimeoutMs: number;
  readonly maxConnections: number;
  readonly authFailureLimit: number;
  readonly authFailureWindowMs: number;
  readonly allowCallerSecret: boolean;
}

/** Applies defaults and validates eagerly; a ConfigError names the option and the bad value (never a key). */
export function resolveServerOptions(options: ServerOptions): ResolvedServerOptions {
  if (options === null || typeof options !== 'object' || typeof options.service !== 'object' || options.service === null) {
    throw new ConfigError('createServer: option "service" (a TokenService) is required');
  }
  return { ...resolveServerSettings(options), service: options.service };
}

/**
 * Everything resolveServerOptions checks except the service: what a caller (the `serve` command) validates before
 * it opens the store and builds the hub, so a bad option never leaves anything half started.
 */
export function resolveServerSettings(options: Omit<ServerOptions, 'service'>): Omit<ResolvedServerOptions, 'service'> {
  if (options === null || typeof options !== 'object') throw new ConfigError('createServer: options must be an object');
  const adminKey = options.adminKey;
  if (adminKey !== undefined) assertRandomKey(adminKey, 'createServer: option "adminKey"');
  const metricsKey = options.metricsKey;
  if (metricsKey !== undefined) assertRandomKey(metricsKey, 'createServer: option "metricsKey"');
  const tls = options.tls;
  if (tls !== undefined && (tls === null || typeof tls !== 'object' || !isPem(tls.cert) || !isPem(tls.key))) {
    throw new ConfigError('createServer: option "tls" must be { cert, key } with PEM strings or buffers');
  }
  const upstreamBaseUrl = baseUrl('upstreamBaseUrl', options.upstreamBaseUrl ?? DEFAULT_UPSTREAM_BASE_URL);
  const wecomUpstreamBaseUrl = baseUrl('wecomUpstreamBaseUrl', options.wecomUpstreamBaseUrl ?? DEFAULT_WECOM_BASE_URL);
  const passthroughPrefixes = options.passthroughPrefixes ?? DEFAULT_PASSTHROUGH_PREFIXES;
  for (const prefix of passthroughPrefixes) {
    if (typeof prefix !== 'string' || !/^\/[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*\/$/.test(prefix) || prefix.startsWith('/v1/')) {
      throw new ConfigError(`createServer: option "passthroughPrefixes" has a bad entry ${JSON.stringify(prefix)} (want e.g. "/cgi-bin/", not under /v1/)`);
    }
  }
  const upstreamTimeoutMs = options.upstreamTimeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS;
  if (!Number.isFinite(upstreamTimeoutMs) || upstreamTimeoutMs <= 0) {
    throw new ConfigError(`createServer: option "upstreamTimeoutMs" must be a positive number of milliseconds, got ${String(upstreamTimeoutMs)}`);
  }
  const passthroughBodyLimitBytes = options.passthroughBodyLimitBytes ?? DEFAULT_PASSTHROUGH_BODY_LIMIT_BYTES;
  if (!Number.isInteger(passthroughBodyLimitBytes) || passthroughBodyLimitBytes < 1024) {
    throw new ConfigError(`createServer: option "passthroughBodyLimitBytes" must be an integer ≥ 1024, got ${String(passthroughBodyLimitBytes)}`);
  }
  const replayBodyLimitBytes = options.replayBodyLimitBytes ?? Math.min(DEFAULT_REPLAY_BODY_LIMIT_BYTES, passthroughBodyLimitBytes);
  if (!Number.isInteger(replayBodyLimitBytes) || replayBodyLimitBytes < 0 || replayBodyLimitBytes > passthroughBodyLimitBytes) {
    throw new ConfigError(
      `createServer: option "replayBodyLimitBytes" must be an integer from 0 to passthroughBodyLimitBytes (${passthroughBodyLimitBytes}), got ${String(replayBodyLimitBytes)}`,
    );
  }
  const tokenCheckIntervalMs = options.tokenCheckIntervalMs ?? DEFAULT_TOKEN_CHECK_INTERVAL_MS;
  if (typeof tokenCheckIntervalMs !== 'number' || !Number.isFinite(tokenCheckIntervalMs) || tokenCheckIntervalMs < 0) {
    throw new ConfigError(`createServer: option "tokenCheckIntervalMs" must be a number of milliseconds ≥ 0 (0 disables), got ${String(tokenCheckIntervalMs)}`);
  }
  const bodyLimitBytes = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  if (!Number.isInteger(bodyLimitBytes) || bodyLimitBytes < 1024) {
    throw new ConfigError(`createServer: option "bodyLimitBytes" must be an integer ≥ 1024, got ${String(bodyLimitBytes)}`);
  }
  const requestTimeoutMs = positiveMs('requestTimeoutMs', options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
  const headersTimeoutMs = positiveMs('headersTimeoutMs', options.headersTimeoutMs ?? Math.min(DEFAULT_HEADERS_TIMEOUT_MS, requestTimeoutMs));
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ConfigError(`createServer: option "headersTimeoutMs" (${headersTimeoutMs}) must not exceed "requestTimeoutMs" (${requestTimeoutMs})`);
  }
  const keepAliveTimeoutMs = positiveMs('keepAliveTimeoutMs', options.keepAliveTimeoutMs ?? DEFAULT_KEEP_ALIVE_TIMEOUT_MS);
  const connectionTimeoutMs = positiveMs('connectionTimeoutMs', options.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS);
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  if (!Number.isInteger(maxConnections) || maxConnections < 1) {
    throw new ConfigError(`createServer: option "maxConnections" must be a positive integer, got ${String(maxConnections)}`);
  }
  const authFailureLimit = options.authFailureLimit ?? DEFAULT_AUTH_FAILURE_LIMIT;
  if (!Number.isInteger(authFailureLimit) || authFailureLimit < 0) {
    throw new ConfigError(`createServer: option "authFailureLimit" must be a whole number ≥ 0 (0 disables), got ${String(authFailureLimit)}`);
  }
  const authFailureWindowMs = positiveMs('authFailureWindowMs', options.authFailureWindowMs ?? DEFAULT_AUTH_FAILURE_WINDOW_MS);
  const allowCallerSecret = options.allowCallerSecret ?? false;
  if (typeof allowCallerSecret !== 'boolean') throw new ConfigError(`createServer: option "allowCallerSecret" must be a boolean, got ${typeof allowCallerSecret}`);
  const metricsAppLimit = options.metricsAppLimit ?? DEFAULT_METRICS_APP_LIMIT;
  if (!Number.isInteger(metricsAppLimit) || metricsAppLimit < 0) {
    throw new ConfigError(`createServer: option "metricsAppLimit" must be a whole number ≥ 0, got ${String(metricsAppLimit)}`);
  }
  const fetchImpl = options.fetch ?? globalThis.fetch;
  if (typeof fetchImpl !== 'function') throw new ConfigError('createServer: option "fetch" must be a function');
  return {
    events: options.events,
    ops: options.ops,
    credentials: options.credentials,
    quota: options.quota,
    metricsAppLimit,
    adminKey,
    dashboard: resolveDashboardOptions(options.dashboard),
    upstreamBaseUrl,
    wecomUpstreamBaseUrl,
    passthroughPrefixes: [...passthroughPrefixes],
    upstreamTimeoutMs,
    passthroughBodyLimitBytes,
    replayBodyLimitBytes,
    tokenCheckIntervalMs,
    fetch: fetchImpl,
    clock: options.clock ?? systemClock,
    random: options.random ?? Math.random,
    logger: options.logger ?? false,
    logRequests: options.logRequests ?? false,
    bodyLimitBytes,
    metrics: options.metrics ?? true,
    metricsKey,
    tls,
    requestTimeoutMs,
    headersTimeoutMs,
    keepAliveTimeoutMs,
    connectionTimeoutMs,
    maxConnections,
    authFailureLimit,
    authFailureWindowMs,
    allowCallerSecret,
  };
}

function isPem(value: unknown): boolean {
  return (typeof value === 'string' || Buffer.isBuffer(value)) && value.toString().includes('-----BEGIN ');
}

function positiveMs(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigError(`createServer: option "${name}" must be a positive number of milliseconds, got ${String(value)}`);
  }
  return value;
}

/** An upstream base URL option without its trailing slashes; ConfigError unless it is http(s) without query or fragment. */
function baseUrl(option: string, value: string): string {
  const trimmed = value.replace(/\/+$/, '');
  let parsed: URL;
  try {
    parsed = new URL(trimmed);
  } catch {
    throw new ConfigError(`createServer: option "${option}" is not a URL: ${JSON.stringify(value)}`);
  }
  if ((parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.search !== '' || parsed.hash !== '') {
    throw new ConfigError(`createServer: option "${option}" must be an http(s) URL without query or fragment: ${JSON.stringify(value)}`);
  }
  return trimmed;
}
