import type { ClientConfig, PoolConfig } from 'pg';
import { ConfigError } from '../../errors/index.js';
import { parseUrl, positiveOption } from '../config.js';
import type { StoreLogger } from '../outage.js';

export type { StoreLogger };

/** Where the tables live when no schema is given: PostgreSQL's default schema. Tables are prefixed `wxtoken_`. */
export const DEFAULT_SCHEMA = 'public';

/**
 * Connections in the pool. A hub's store traffic is a handful of small statements per refresh and per admin
 * change (tokens are served from memory), so pg's customary 10 is plenty and leaves room for many instances
 * under a server's max_connections.
 */
export const DEFAULT_POOL_SIZE = 10;

/**
 * How long opening a connection (or waiting for a free pooled one) may take. A reachable server answers in
 * milliseconds; 2 s rides out a TLS handshake yet keeps calls from hanging on an unreachable server.
 */
export const DEFAULT_CONNECT_TIMEOUT_MS = 2_000;

/**
 * How long one statement may run, enforced by the server (statement_timeout) and the client (query_timeout).
 * Every statement is a primary-key lookup or write, so 1 s means trouble; failing then lets the hub keep serving
 * the tokens it holds (the outage requirement is "reject within ~1–2 s").
 */
export const DEFAULT_COMMAND_TIMEOUT_MS = 1_000;

/** Longest wait between attempts to re-open the LISTEN connection after it dropped. */
export const DEFAULT_MAX_RECONNECT_DELAY_MS = 2_000;

/**
 * How long start-up migrations may take, including waiting for another instance that is migrating the same
 * schema (they take turns under an advisory lock). DDL on empty tables takes milliseconds.
 */
export const MIGRATION_TIMEOUT_MS = 30_000;

/** Schema names are used as quoted identifiers and in the NOTIFY channel (≤ 63 bytes with its `wxtoken_`). */
const SCHEMA_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,54}$/;

/** Options for a PostgreSQL store. */
export interface PostgresStoreOptions {
  /**
   * Schema holding the `wxtoken_*` tables (created if missing); one per environment sharing a database. Default:
   * the URL's `?schema=` if given, else DEFAULT_SCHEMA. This option wins over the URL. Letters, digits and `_`.
   */
  schema?: string;
  /** Pool size. Default DEFAULT_POOL_SIZE. */
  poolSize?: number;
  /** Per connection attempt or pool wait. Default DEFAULT_CONNECT_TIMEOUT_MS. */
  connectTimeoutMs?: number;
  /** Per statement. Default DEFAULT_COMMAND_TIMEOUT_MS. */
  commandTimeoutMs?: number;
  /** Cap of the LISTEN connection's reconnection backoff. Default DEFAULT_MAX_RECONNECT_DELAY_MS. */
  maxReconnectDelayMs?: number;
  /** Told once when PostgreSQL becomes unreachable and once when it is back. Default: silent. */
  logger?: StoreLogger;
}

/** A validated PostgreSQL URL plus options. */
export interface ResolvedPostgresOptions {
  /** `postgres://host:port/db`, with `?schema=` when it is not the default; never credentials. */
  readonly description: string;
  readonly schema: string;
  /** The NOTIFY channel of this schema. */
  readonly channel: string;
  readonly pool: PoolConfig;
  /** For the LISTEN connection and the migration connection (no statement timeout: they wait by design). */
  readonly client: ClientConfig;
  readonly maxReconnectDelayMs: number;
  readonly logger: StoreLogger | undefined;
}

/**
 * Parses `postgres://[user[:pass]@]host[:port]/db[?schema=...&sslmode=...]` (or `postgresql://`) and the options,
 * naming the bad option or URL part in a ConfigError (never echoing a password). Query parameters other than
 * `schema` are pg's own (sslmode, application_name...).
 */
export function resolvePostgresOptions(url: string, options: PostgresStoreOptions = {}): ResolvedPostgresOptions {
  const parsed = parseUrl(url, 'PostgreSQL store URL');
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new ConfigError(`PostgreSQL store URL must start with postgres:// or postgresql://, got ${JSON.stringify(`${parsed.protocol}//`)}`);
  }
  const schema = options.schema ?? parsed.searchParams.get('schema') ?? DEFAULT_SCHEMA;
  if (typeof schema !== 'string' || !SCHEMA_PATTERN.test(schema)) {
    throw new ConfigError(
      `PostgreSQL store schema must be 1–55 letters, digits or _ (not starting with a digit), got ${JSON.stringify(schema)}`,
    );
  }
  parsed.searchParams.delete('schema');

  const poolSize = positive('poolSize', options.poolSize ?? DEFAULT_POOL_SIZE);
  if (!Number.isInteger(poolSize)) throw new ConfigError(`PostgreSQL store poolSize must be a positive integer, got ${poolSize}`);
  const connectTimeoutMs = positive('connectTimeoutMs', options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
  const commandTimeoutMs = positive('commandTimeoutMs', options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS);
  const maxReconnectDelayMs = positive('maxReconnectDelayMs', options.maxReconnectDelayMs ?? DEFAULT_MAX_RECONNECT_DELAY_MS);

  const connectionString = parsed.toString();
  const common: ClientConfig = {
    connectionString,
    connectionTimeoutMillis: connectTimeoutMs,
    // Finds a silently dead peer (a LISTEN connection is otherwise idle forever).
    keepAlive: true,
    application_name: 'wxtoken',
  };
  const path = parsed.pathname === '/' ? '' : parsed.pathname;
  return {
    description: `${parsed.protocol}//${parsed.host}${path}${schema === DEFAULT_SCHEMA ? '' : `?schema=${schema}`}`,
    schema,
    channel: `wxtoken_${schema}`,
    pool: {
      ...common,
      max: poolSize,
      // Idle pooled connections must not keep a finished CLI command alive.
      allowExitOnIdle: true,
      statement_timeout: Math.ceil(commandTimeoutMs),
      // The client-side bound also covers a server that stopped answering altogether.
      query_timeout: Math.ceil(commandTimeoutMs) + 250,
    },
    client: common,
    maxReconnectDelayMs,
    logger: options.logger,
  };
}

/** `name` quoted as an SQL identifier (the value is validated, the quoting is belt and braces). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function positive(name: string, value: number): number {
  return positiveOption(`PostgreSQL store ${name}`, value);
}
