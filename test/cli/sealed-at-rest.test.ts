import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/index.js';
import { APPID, SECRET, startSimulator, tempDir } from '../support/stack.js';
import { dropPostgresSchema, dropRedisPrefix, randomRedisPrefix, randomSchema, requirePostgres, requireRedis } from '../support/services.js';
import { FIXTURE, FIXTURE_MASTER_KEY, loadPostgresFixture, loadRedisFixture, loadSqliteFixture } from '../stores/fixtures-v0.1.0.js';
import { wxtoken } from './support.js';

// Finding 8 of issue 13: tokens are sealed at rest on every backend, through the store the CLI and `serve` open.
const redis = await requireRedis();
const postgres = await requirePostgres();

const MASTER = 'cd'.repeat(32);
let dir: string;
let cleanup: () => Promise<void>;
let sim: Simulator;
let simUrl: string;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  ({ sim, url: simUrl } = await startSimulator());
});
afterAll(async () => {
  await sim.close();
  await cleanup();
});

/** Registers the simulator's app on `store` and reads a token through the CLI; returns the token. */
async function refreshThrough(store: string): Promise<string> {
  const env = { WXTOKEN_STORE: store, WXTOKEN_MASTER_KEY: MASTER, WXTOKEN_UPSTREAM: simUrl, APP_SECRET: SECRET };
  expect((await wxtoken(['app', 'add', APPID, '--secret-env', 'APP_SECRET', '--grant', 'classic'], env)).code).toBe(0);
  const read = await wxtoken(['token', APPID], env);
  expect(read.code, read.stderr).toBe(0);
  const token = read.stdout.trim();
  expect(token.length).toBeGreaterThan(10);
  // Read again: the stored (sealed) value opens to the same token, with no second fetch.
  expect((await wxtoken(['token', APPID], env)).stdout.trim()).toBe(token);
  return token;
}

describe('tokens sealed at rest', () => {
  it('SQLite: neither the credentials table nor the files hold the token', async () => {
    const path = join(dir, 'sealed.db');
    const token = await refreshThrough(`sqlite:${path}`);
    const db = new Database(path, { readonly: true });
    try {
      const rows = db.prepare('SELECT token FROM credentials').all() as { token: string | null }[];
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) expect(row.token).toMatch(/^v2\.[0-9a-f]{8}\./);
    } finally {
      db.close();
    }
    for (const file of [path, `${path}-wal`]) if (existsSync(file)) expect(readFileSync(file).includes(token)).toBe(false);
  });

  it.skipIf(redis.skip)('Redis: the credentials hash holds no token', async () => {
    const prefix = randomRedisPrefix();
    try {
      const token = await refreshThrough(`${redis.url}?prefix=${prefix}`);
      const client = new Redis(redis.url);
      try {
        const hash = await client.hgetall(`${prefix}{wxtoken}:credentials`);
        expect(Object.keys(hash).length).toBeGreaterThan(0);
        for (const json of Object.values(hash)) {
          expect(json).not.toContain(token);
          expect((JSON.parse(json) as { token: string }).token).toMatch(/^v2\./);
        }
      } finally {
        client.disconnect();
      }
    } finally {
      await dropRedisPrefix(redis.url, prefix);
    }
  });

  it.skipIf(postgres.skip)('PostgreSQL: the credentials table holds no token', async () => {
    const schema = randomSchema();
    try {
      const token = await refreshThrough(`${postgres.url}?schema=${schema}`);
      const client = new pg.Client({ connectionString: postgres.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ row: string }>(`SELECT row_to_json(c)::text AS row FROM "${schema}".wxtoken_credentials c`);
        expect(rows.length).toBeGreaterThan(0);
        for (const { row } of rows) {
          expect(row).not.toContain(token);
          expect((JSON.parse(row) as { token: string }).token).toMatch(/^v2\./);
        }
      } finally {
        await client.end();
      }
    } finally {
      await dropPostgresSchema(postgres.url, schema);
    }
  });
});

describe('stores written by 0.1.0 (plaintext tokens) still open', () => {
  // An unreachable upstream: a stored valid token must be served without asking WeChat.
  const fixtureEnv = (store: string): NodeJS.ProcessEnv => ({ WXTOKEN_STORE: store, WXTOKEN_MASTER_KEY: FIXTURE_MASTER_KEY, WXTOKEN_UPSTREAM: 'http://127.0.0.1:9' });

  async function expectTokensReadable(store: string): Promise<void> {
    const env = fixtureEnv(store);
    const stable = await wxtoken(['token', FIXTURE.stableApp], env);
    expect(stable.code, stable.stderr).toBe(0);
    expect(stable.stdout.trim()).toBe(FIXTURE.stableToken);
  }

  it('SQLite', async () => {
    await expectTokensReadable(loadSqliteFixture(dir));
  });

  it.skipIf(redis.skip)('Redis', async () => {
    const prefix = randomRedisPrefix();
    try {
      await expectTokensReadable(await loadRedisFixture(redis.url, prefix));
    } finally {
      await dropRedisPrefix(redis.url, prefix);
    }
  });

  it.skipIf(postgres.skip)('PostgreSQL', async () => {
    const schema = randomSchema();
    try {
      await expectTokensReadable(await loadPostgresFixture(postgres.url, schema));
    } finally {
      await dropPostgresSchema(postgres.url, schema);
    }
  });
});
