import type { RedisOptions } from 'ioredis';
import { ConfigError } from '../../errors/index.js';
import { parseUrl, positiveOption } from '../config.js';
import { reconnectDelayMs, type StoreLogger } from '../outage.js';

export type { StoreLogger };

/**
 * Namespace of every key and channel. A different prefix per environment lets several share one Redis (or one
 * cluster); the trailing colon keeps `redis-cli --scan --pattern 'wxtoken:*'` readable.
 */
export const DEFAULT_KEY_PREFIX = 'wxtoken:';

/**
 * How long one connection attempt may take before it counts as failed. A Redis on the same network answers in
 * milliseconds; 2 s rides out a slow TLS handshake yet keeps start-up from hanging on a blackholed address.
 */
export const DEFAULT_CONNECT_TIMEOUT_MS = 2_000;

/**
 * How long one command may wait for its reply. Every command the store sends is O(1) or a short script, so a
 * reply slower than 1 s means the server or the network is in trouble; failing then lets the hub keep serving the
 * tokens it holds instead of stalling its callers (the outage requirement is "reject within ~1–2 s").
 */
export const DEFAULT_COMMAND_TIMEOUT_MS = 1_000;

/**
 * Longest wait between reconnection attempts. Attempts start at 50 ms and double; capping at 2 s means a store
 * is back within ~2 s of Redis returning, at the cost of one cheap TCP connect every 2 s during an outage.
 */
export const DEFAULT_MAX_RECONNECT_DELAY_MS = 2_000;

/** Options for a Redis store. */
export interface RedisStoreOptions {
  /**
   * Prefix of every key and of the event channel. Default: the URL's `?prefix=` if given, else DEFAULT_KEY_PREFIX.
   * This option wins over the URL. Must not contain `{` or `}` (the store places its own cluster hash tag).
   */
  keyPrefix?: string;
  /** Per connection attempt. Default DEFAULT_CONNECT_TIMEOUT_MS. */
  connectTimeoutMs?: number;
  /** Per command. Default DEFAULT_COMMAND_TIMEOUT_MS. */
  commandTimeoutMs?: number;
  /** Cap of the reconnection backoff. Default DEFAULT_MAX_RECONNECT_DELAY_MS. */
  maxReconnectDelayMs?: number;
  /** Told once when Redis becomes unreachable and once when it is back. Default: silent. */
  logger?: StoreLogger;
}

/** A validated Redis URL plus options. */
export interface ResolvedRedisOptions {
  /** `redis://host:port/db`, with `?prefix=` when it is not the default; never credentials. */
  readonly description: string;
  readonly keyPrefix: string;
  /** What ioredis gets: connection target and the fail-fast settings. */
  readonly ioredis: RedisOptions;
  readonly logger: StoreLogger | undefined;
}

/**
 * Parses `redis://[user:pass@]host[:port][/db][?prefix=...]` (or `rediss://` for TLS) and the options, naming the
 * bad option or URL part in a ConfigError (never echoing a password).
 */
export function resolveRedisOptions(url: string, options: RedisStoreOptions = {}): ResolvedRedisOptions {
  const parsed = parseUrl(url, 'Redis store URL');
  const scheme = parsed.protocol;
  if (scheme !== 'redis:' && scheme !== 'rediss:') {
    throw new ConfigError(`Redis store URL must start with redis:// or rediss://, got ${JSON.stringify(`${scheme}//`)}`);
  }
  if (parsed.hostname === '') throw new ConfigError('Redis store URL names no host');

  const dbText = parsed.pathname.replace(/^\//, '');
  if (dbText !== '' && !/^\d{1,5}$/.test(dbText)) {
    throw new ConfigError(`Redis store URL database must be a number (redis://host:6379/0), got ${JSON.stringify(dbText)}`);
  }
  const db = dbText === '' ? 0 : Number(dbText);

  // Only known query parameters: ioredis would otherwise let any `?name=value` override its options.
  for (const name of parsed.searchParams.keys()) {
    if (name !== 'prefix') throw new ConfigError(`Redis store URL has unknown query parameter ${JSON.stringify(name)}; only prefix is supported`);
  }
  const keyPrefix = options.keyPrefix ?? parsed.searchParams.get('prefix') ?? DEFAULT_KEY_PREFIX;
  if (typeof keyPrefix !== 'string' || keyPrefix === '' || /[{}]/.test(keyPrefix)) {
    throw new ConfigError(`Redis store keyPrefix must be a non-empty string without { or }, got ${JSON.stringify(keyPrefix)}`);
  }

  const connectTimeoutMs = positive('connectTimeoutMs', options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
  const commandTimeoutMs = positive('commandTimeoutMs', options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS);
  const maxReconnectDelayMs = positive('maxReconnectDelayMs', options.maxReconnectDelayMs ?? DEFAULT_MAX_RECONNECT_DELAY_MS);

  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const port = parsed.port === '' ? 6379 : Number(parsed.port);
  const query = keyPrefix === DEFAULT_KEY_PREFIX ? '' : `?prefix=${encodeURIComponent(keyPrefix)}`;
  return {
    description: `${scheme}//${parsed.host}/${db}${query}`,
    keyPrefix,
    logger: options.logger,
    ioredis: {
      host,
      port,
      db,
      ...(parsed.username === '' ? {} : { username: decodeURIComponent(parsed.username) }),
      ...(parsed.password === '' ? {} : { password: decodeURIComponent(parsed.password) }),
      ...(scheme === 'rediss:' ? { tls: { servername: host } } : {}),
      // The store connects explicitly so that start-up can fail with StoreUnavailableError.
      lazyConnect: true,
      // Fail fast while disconnected instead of queueing: the hub keeps serving the tokens it holds.
      enableOfflineQueue: false,
      // Commands in flight when the connection drops fail at once rather than waiting for a reconnection...
      maxRetriesPerRequest: 0,
      // ...and are never re-sent: the caller was told the write failed, so it must not happen later behind its back.
      autoResendUnfulfilledCommands: false,
      connectTimeout: connectTimeoutMs,
      commandTimeout: commandTimeoutMs,
      // ioredis counts attempts from 1.
      retryStrategy: (attempt: number) => reconnectDelayMs(attempt - 1, maxReconnectDelayMs),
      // The store re-subscribes itself after a reconnection (redis-store.ts): ioredis's own re-subscription is a
      // command whose failure nobody handles.
      autoResubscribe: false,
    },
  };
}

function positive(name: string, value: number): number {
  return positiveOption(`Redis store ${name}`, value, ' of milliseconds');
}
