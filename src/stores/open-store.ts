import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { ConfigError } from '../errors/index.js';
import { parseUrl, redactUrl } from './config.js';
import { createMemoryStore } from './memory/index.js';
import { DEFAULT_SQLITE_PATH } from './sqlite/default-path.js';
import type { Store } from './store.js';

/** The store used when neither `--store` nor WXTOKEN_STORE is given: the embedded SQLite file. */
export const DEFAULT_STORE_URL = `sqlite:${DEFAULT_SQLITE_PATH}`;

/** Where a store URL points; `description` is safe to log (no credentials). */
export type StoreLocation =
  | { readonly kind: 'memory'; readonly description: string }
  | { readonly kind: 'sqlite'; readonly path: string; readonly description: string }
  | { readonly kind: 'redis'; readonly url: string; readonly description: string }
  | { readonly kind: 'postgres'; readonly url: string; readonly description: string };

/** Options for openStore; each backend uses the ones that concern it. */
export interface OpenStoreOptions {
  /** Lease expiry and polling for memory/SQLite; the base clock for distributed stores. Default: system clock. */
  clock?: Clock;
  /** SQLite change-feed poll interval (see sqlite DEFAULT_POLL_INTERVAL_MS). */
  pollIntervalMs?: number;
  /** SQLite busy timeout (see sqlite DEFAULT_BUSY_TIMEOUT_MS). */
  busyTimeoutMs?: number;
  /** For backends that report connection trouble as it happens (Redis, PostgreSQL). Default: silent. */
  logger?: Logger;
}

/** What src/stores/redis/index.js exports; loaded on demand so SQLite users never load ioredis. */
interface RedisStoreModule {
  createRedisStore(url: string, options: OpenStoreOptions): Promise<Store>;
}

/** What src/stores/postgres/index.js exports; loaded on demand so SQLite users never load pg. */
interface PostgresStoreModule {
  createPostgresStore(url: string, options: OpenStoreOptions): Promise<Store>;
}

// Held in variables so the type checker does not require the modules at compile time, and so that a build
// without them fails with a ConfigError rather than at import.
const REDIS_MODULE = './redis/index.js';
const POSTGRES_MODULE = './postgres/index.js';

const EXPECTED = 'expected sqlite:<path>, memory:, redis://, rediss://, postgres:// or postgresql://';

/**
 * Parses a store URL (`--store` / WXTOKEN_STORE). `label` names where it came from in errors. Accepted forms:
 * `memory:`; `sqlite:./rel.db`, `sqlite:rel.db`, `sqlite:/abs.db`, `sqlite://./rel.db`, `sqlite:///abs.db`;
 * `redis://`, `rediss://`, `postgres://`, `postgresql://` URLs. Throws ConfigError otherwise, never echoing a
 * password.
 */
export function parseStoreUrl(url: string, label = 'store URL'): StoreLocation {
  const value = typeof url === 'string' ? url.trim() : '';
  if (value === '') throw new ConfigError(`${label} is empty; ${EXPECTED}`);
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(value)?.[1]?.toLowerCase();
  // A Windows drive letter (C:\...) parses as a one-letter scheme; it is a path, not a URL.
  if (scheme === undefined || scheme.length === 1) {
    throw new ConfigError(`${label} ${JSON.stringify(redactUrl(value))} has no scheme; ${EXPECTED} (a file: sqlite:${value})`);
  }
  const rest = value.slice(scheme.length + 1);

  switch (scheme) {
    case 'memory':
      if (rest !== '' && rest !== '//') throw new ConfigError(`${label} ${JSON.stringify(value)}: memory: takes no path`);
      return { kind: 'memory', description: 'memory:' };

    case 'sqlite': {
      // `sqlite://` is an optional prefix before the path: sqlite://./a.db, sqlite:///abs.db.
      const path = rest.startsWith('//') ? rest.slice(2) : rest;
      if (path === '') throw new ConfigError(`${label} ${JSON.stringify(value)} has no file path, e.g. ${DEFAULT_STORE_URL}`);
      if (path === ':memory:') throw new ConfigError(`${label} ${JSON.stringify(value)}: use memory: for a store that is not kept`);
      return { kind: 'sqlite', path, description: `sqlite:${path}` };
    }

    case 'redis':
    case 'rediss':
      return { kind: 'redis', url: value, description: describeNetworkUrl(value, label) };

    case 'postgres':
    case 'postgresql':
      return { kind: 'postgres', url: value, description: describeNetworkUrl(value, label) };

    default:
      throw new ConfigError(`${label} has unsupported scheme ${JSON.stringify(`${scheme}:`)}; ${EXPECTED}`);
  }
}

/**
 * Opens the store a URL names (see parseStoreUrl). SQLite and memory are built in; Redis and PostgreSQL are
 * loaded on first use. Rejects with ConfigError for a bad URL or options, StoreUnavailableError when the backend
 * cannot be reached.
 */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  const location = parseStoreUrl(url);
  switch (location.kind) {
    case 'memory':
      return createMemoryStore({ ...(options.clock ? { clock: options.clock } : {}) });
    case 'sqlite': {
      // Loaded on demand like the others: a Redis or PostgreSQL deployment never loads the native SQLite addon.
      const { createSqliteStore } = await import('./sqlite/index.js');
      return createSqliteStore(location.path, {
        ...(options.clock ? { clock: options.clock } : {}),
        ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
        ...(options.busyTimeoutMs !== undefined ? { busyTimeoutMs: options.busyTimeoutMs } : {}),
      });
    }
    case 'redis': {
      const module = await loadBackend<RedisStoreModule>(REDIS_MODULE, 'Redis');
      return module.createRedisStore(location.url, options);
    }
    case 'postgres': {
      const module = await loadBackend<PostgresStoreModule>(POSTGRES_MODULE, 'PostgreSQL');
      return module.createPostgresStore(location.url, options);
    }
  }
}

async function loadBackend<T>(specifier: string, name: string): Promise<T> {
  try {
    return (await import(/* @vite-ignore */ specifier)) as T;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND' && String(error).includes(specifier.slice(2))) {
      throw new ConfigError(`${name} stores are not available in this build of wxtoken`);
    }
    throw error;
  }
}

/** `scheme://host:port/path` without user, password or query (which may carry a password too). */
function describeNetworkUrl(value: string, label: string): string {
  const parsed = parseUrl(value, label);
  if (parsed.hostname === '' && parsed.pathname.replace(/^\/+/, '') === '') {
    throw new ConfigError(`${label} ${JSON.stringify(redactUrl(value))} names no host`);
  }
  return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
}
