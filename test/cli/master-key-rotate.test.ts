import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openHub, type HubRuntime } from '../../src/cli/runtime.js';
import { masterKeyId } from '../../src/core/sealer.js';
import { openStore } from '../../src/stores/open-store.js';
import type { Simulator } from '../../src/simulator/index.js';
import { APPID, SECRET, startSimulator, tempDir } from '../support/stack.js';
import { dropPostgresSchema, dropRedisPrefix, eventually, randomRedisPrefix, randomSchema, requirePostgres, requireRedis } from '../support/services.js';
import { testContext, wxtoken } from './support.js';

// Issue 13: `wxtoken master-key rotate` re-seals every secret and token under a new key while hubs keep running,
// following the steps of docs/keys.md.
const redis = await requireRedis();
const postgres = await requirePostgres();

const K1 = '1a'.repeat(32);
const K2 = '2b'.repeat(32);
const K2_ID = masterKeyId(Buffer.from(K2, 'hex'));

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

/** Every stored secret and token, as stored. */
async function storedValues(storeUrl: string): Promise<string[]> {
  const store = await openStore(storeUrl);
  try {
    const secrets = (await store.listPrincipals()).flatMap((p) => Object.values(p.secrets));
    const tokens: string[] = [];
    for (const key of await store.listCredentialKeys()) {
      const token = (await store.getCredential(key))?.token;
      if (token) tokens.push(token);
    }
    return [...secrets, ...tokens];
  } finally {
    await store.close();
  }
}

async function rotationWhileRunning(storeUrl: string): Promise<void> {
  const env = (current: string, previous?: string): NodeJS.ProcessEnv => ({
    WXTOKEN_STORE: storeUrl,
    WXTOKEN_MASTER_KEY: current,
    ...(previous ? { WXTOKEN_MASTER_KEY_PREVIOUS: previous } : {}),
    WXTOKEN_UPSTREAM: simUrl,
    APP_SECRET: SECRET,
  });
  const hub = (e: NodeJS.ProcessEnv): Promise<HubRuntime> =>
    openHub(testContext(e), { storeUrl, upstream: simUrl, background: true, tuning: { prefetch: false } });

  // Before: everything sealed under K1.
  expect((await wxtoken(['app', 'add', APPID, '--secret-env', 'APP_SECRET', '--grant', 'classic'], env(K1))).code).toBe(0);
  const before = (await wxtoken(['token', APPID], env(K1))).stdout.trim();
  expect(before).not.toBe('');

  // Step 1 done: every instance seals with K1 and accepts K2. Step 2 under way: B restarted on K2 (K1 previous).
  let a = await hub(env(K1, K2));
  const b = await hub(env(K2, K1));
  try {
    expect((await a.hub.getAccessToken(APPID)).token).toBe(before);
    // A mixed fleet works both ways: B's token (sealed under K2) reaches A, A's (under K1) reaches B.
    const fromB = (await b.hub.refresh(APPID)).token;
    expect(fromB).not.toBe(before);
    await eventually(() => expect(a.hub.currentToken(APPID)?.token).toBe(fromB));
    const fromA = (await a.hub.refresh(APPID)).token;
    await eventually(() => expect(b.hub.currentToken(APPID)?.token).toBe(fromA));

    // Step 2 finished: A restarted on K2 too.
    await a.close();
    a = await hub(env(K2, K1));
    expect((await a.hub.getAccessToken(APPID)).token).toBe(fromA);

    // Step 3: re-seal everything while both run.
    const rotated = await wxtoken(['master-key', 'rotate'], env(K2, K1));
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stdout).toMatch(new RegExp(`re-sealed 1 secret\\(s\\) and [1-9]\\d* token\\(s\\) under key ${K2_ID}; \\d+ already were; 0 remaining`));
    expect(rotated.stderr).toMatch(/secrets: 1\/1/);
    expect(rotated.stderr).toMatch(/credentials: \d+\/\d+/);
    const values = await storedValues(storeUrl);
    expect(values.length).toBeGreaterThanOrEqual(2);
    for (const value of values) expect(value.startsWith(`v2.${K2_ID}.`)).toBe(true);

    // Both instances keep working, refreshes included (the secret they open is now sealed under K2).
    await eventually(() => expect(b.hub.currentToken(APPID)?.token).toBe(fromA));
    const again = (await a.hub.refresh(APPID)).token;
    await eventually(() => expect(b.hub.currentToken(APPID)?.token).toBe(again));
    const dry = await wxtoken(['master-key', 'rotate', '--dry-run'], env(K2, K1));
    expect(dry.stdout).toMatch(/^0 value\(s\) not sealed under key/);
  } finally {
    await a.close();
    await b.close();
  }

  // Step 4: the previous key is no longer needed; the old key alone opens nothing.
  const after = await wxtoken(['token', APPID], env(K2));
  expect(after.code, after.stderr).toBe(0);
  const withOld = await wxtoken(['token', APPID], env(K1));
  expect(withOld.code).toBe(1);
  expect(withOld.stderr).toMatch(new RegExp(`master key "${K2_ID}"`));
  expect(withOld.stderr).not.toContain(after.stdout.trim());
}

describe('wxtoken master-key rotate while hubs run', () => {
  it('SQLite', async () => {
    await rotationWhileRunning(`sqlite:${join(dir, 'rotate.db')}`);
  });

  it.skipIf(redis.skip)('Redis', async () => {
    const prefix = randomRedisPrefix();
    try {
      await rotationWhileRunning(`${redis.url}?prefix=${prefix}`);
    } finally {
      await dropRedisPrefix(redis.url, prefix);
    }
  });

  it.skipIf(postgres.skip)('PostgreSQL', async () => {
    const schema = randomSchema();
    try {
      await rotationWhileRunning(`${postgres.url}?schema=${schema}`);
    } finally {
      await dropPostgresSchema(postgres.url, schema);
    }
  });

  it('refuses a SQLite store that does not exist, creating neither it nor a key file', async () => {
    const { existsSync } = await import('node:fs');
    const path = join(dir, 'typo.db');
    const res = await wxtoken(['master-key', 'rotate', '--store', `sqlite:${path}`], {});
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/does not exist/);
    expect(existsSync(path) || existsSync(`${path}.key`)).toBe(false);
  });

  it('re-seals a 0.1.0 SQLite store (v1 secrets, plaintext tokens) under a key file holding the new and old keys', async () => {
    const { loadSqliteFixture, FIXTURE, FIXTURE_MASTER_KEY } = await import('../stores/fixtures-v0.1.0.js');
    const { writeFileSync } = await import('node:fs');
    const storeUrl = loadSqliteFixture(dir);
    const path = storeUrl.slice('sqlite:'.length);
    writeFileSync(`${path}.key`, `${K2}\n${FIXTURE_MASTER_KEY}\n`, { mode: 0o600 });
    const rotated = await wxtoken(['master-key', 'rotate', '--store', storeUrl], {});
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stdout).toMatch(/re-sealed 2 secret\(s\) and 2 token\(s\)/);
    for (const value of await storedValues(storeUrl)) expect(value.startsWith(`v2.${K2_ID}.`)).toBe(true);
    writeFileSync(`${path}.key`, `${K2}\n`, { mode: 0o600 });
    const read = await wxtoken(['token', FIXTURE.stableApp, '--store', storeUrl], { WXTOKEN_UPSTREAM: 'http://127.0.0.1:9' });
    expect(read.stdout.trim()).toBe(FIXTURE.stableToken);
  });
});
