/**
 * The shared Redis and PostgreSQL servers the distributed-store tests talk to (127.0.0.1 only), and the isolation
 * each test gets on them: a random key prefix in Redis, a fresh random schema in PostgreSQL.
 *
 * When a server is not running, a test file is skipped with a warning naming it, except in CI
 * (`CI=true`), where a missing server must fail the run rather than silently test less.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';

/** The shared Redis (CI starts it; see .ci/run). */
export const SHARED_REDIS_URL = 'redis://127.0.0.1:6379/0';
/** The shared PostgreSQL: database `test`, user `postgres`, trust auth. */
export const SHARED_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** How long a probe waits for a server before calling it unreachable. */
const PROBE_TIMEOUT_MS = 1_500;

/** Whether a service can be used, and what a test file should do about it. */
export interface ServiceStatus {
  readonly name: string;
  readonly url: string;
  readonly available: boolean;
  /** True when the tests needing it should be skipped (unavailable, not in CI). */
  readonly skip: boolean;
  /** Throws, naming the server, when it is unavailable (call it in beforeAll so CI fails clearly). */
  assertAvailable(): void;
}

/**
 * Probes a service once and decides: available; unavailable → skip with a console warning; unavailable in CI →
 * not skipped, so assertAvailable fails every test with a message naming the server.
 */
export async function requireService(name: string, url: string, probe: () => Promise<void>): Promise<ServiceStatus> {
  let reason = '';
  try {
    await probe();
  } catch (error) {
    reason = error instanceof Error ? error.message : String(error);
  }
  const available = reason === '';
  const inCi = process.env.CI === 'true';
  const message = `${name} is not reachable at ${url} (${reason}); start it (e.g. as .ci/run does) to run these tests`;
  if (!available && !inCi) console.warn(`SKIPPING ${name} tests: ${message}`);
  return {
    name,
    url,
    available,
    skip: !available && !inCi,
    assertAvailable() {
      if (!available) throw new Error(`${message}. CI=true, so this is a failure, not a skip.`);
    },
  };
}

/** Probes the shared Redis (PING). */
export function requireRedis(url = SHARED_REDIS_URL): Promise<ServiceStatus> {
  return requireService('Redis', url, () => probeRedis(url));
}

/** Probes the shared PostgreSQL (SELECT 1), creating its database first when the server lacks it. */
export function requirePostgres(url = SHARED_POSTGRES_URL): Promise<ServiceStatus> {
  return requireService('PostgreSQL', url, async () => {
    try {
      await probePostgres(url);
    } catch (error) {
      // 3D000: the database does not exist (a fresh server, as CI's): make it from the maintenance database.
      if ((error as { code?: unknown }).code !== '3D000') throw error;
      await createDatabase(url);
      await probePostgres(url);
    }
  });
}

async function createDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = target.pathname.replace(/^\//, '');
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`refusing to create unusual database ${JSON.stringify(name)}`);
  target.pathname = '/postgres';
  const client = new pg.Client({ connectionString: target.toString(), connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query(`CREATE DATABASE "${name}"`).catch((error: { code?: unknown }) => {
      // 42P04: another test file created it meanwhile.
      if (error.code !== '42P04') throw error;
    });
  } finally {
    await client.end().catch(() => {});
  }
}

/** Resolves when a Redis answers PING at `url`. */
export async function probeRedis(url: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<void> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
  } finally {
    redis.disconnect();
  }
}

/** Resolves when a PostgreSQL answers `SELECT 1` at `url`. */
export async function probePostgres(url: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => {});
  }
}

/** A key prefix no other test run uses (hex only, so it is safe inside a SCAN pattern). */
export function randomRedisPrefix(): string {
  return `wxtoken-test-${randomBytes(6).toString('hex')}:`;
}

/** Deletes every key under `prefix` (made by randomRedisPrefix) in the Redis at `url`. */
export async function dropRedisPrefix(url: string, prefix: string): Promise<void> {
  if (!/^[\w:-]+$/.test(prefix)) throw new Error(`refusing to SCAN for unusual prefix ${JSON.stringify(prefix)}`);
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** A schema name no other test run uses. */
export function randomSchema(): string {
  return `wxtoken_test_${randomBytes(6).toString('hex')}`;
}

/** Drops `schema` and everything in it from the PostgreSQL at `url`. */
export async function dropPostgresSchema(url: string, schema: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`refusing to drop unusual schema ${JSON.stringify(schema)}`);
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Resolves when `check` passes, retrying every `stepMs` until `timeoutMs` elapses (then rethrows its failure). */
export async function eventually(check: () => void | Promise<void>, timeoutMs = 5_000, stepMs = 25): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (performance.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, stepMs));
    }
  }
}
