import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Grant } from '../../src/stores/store.js';
import { ADMIN_KEY, APPID, getJson, SECRET, startHub, startSimulator, tempDir, type RunningHub } from '../support/stack.js';
import { tokenFetches } from '../support/sim-counters.js';

/**
 * End-to-end: the real simulator with lifetimes compressed 1800× (7200 s → 4 s, 300 s grace → 2 s), the real hub
 * over SQLite, HTTP in between. Hub lead and margin are given for that 4 s lifetime.
 */
const TTL_S = 4;
const COMPRESSED = { referenceLifetimeMs: TTL_S * 1000, refreshLeadMs: 1_200, serveMarginMs: 400, backoffBaseMs: 50, backoffMaxMs: 400, leaseTtlMs: 3_000, healthCheckMs: 500 };
const SIM = { tokenTtlSeconds: TTL_S, graceSeconds: 2, stableWindowSeconds: 2, forceSpacingSeconds: 1 };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function stack(grant: Grant, hubTuning: Parameters<typeof startHub>[2] = {}, simOptions: object = {}) {
  const { sim, url: simUrl } = await startSimulator({ ...SIM, ...simOptions });
  cleanups.push(() => sim.close());
  const { dir, cleanup } = await tempDir();
  cleanups.push(cleanup);
  const storeUrl = `sqlite:${join(dir, 'hub.db')}`;
  const hub = await startHub(storeUrl, simUrl, { ...COMPRESSED, ...hubTuning });
  cleanups.push(() => hub.close());
  await hub.hub.putApp(APPID, { secret: SECRET, grant });
  const key = await hub.hub.createClientKey('e2e', [APPID]);
  return { sim, simUrl, hub, key, dir, storeUrl };
}

/** Callers that poll the hub and use each token on a business endpoint, tallying WeChat's answers. */
async function pollAndUse(hub: RunningHub, key: string, simUrl: string, durationMs: number, callers = 8) {
  const tally = new Map<string, number>();
  const deadline = Date.now() + durationMs;
  const bump = (k: string): void => void tally.set(k, (tally.get(k) ?? 0) + 1);
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (Date.now() < deadline) {
        const { status, body } = await getJson(`${hub.url}/v1/apps/${APPID}/access-token`, key);
        if (status !== 200) {
          bump(`hub-${status}`);
          continue;
        }
        const res = await fetch(`${simUrl}/cgi-bin/getcallbackip?access_token=${String(body['access_token'])}`);
        const answer = (await res.json()) as { errcode?: number };
        bump(answer.errcode ? `errcode-${answer.errcode}` : 'ok');
        await new Promise((r) => setTimeout(r, 20));
      }
    }),
  );
  return Object.fromEntries(tally);
}

describe.each(['classic', 'stable'] as const)('hub end to end (%s grant)', (grant) => {
  it('keeps callers on valid tokens across several lifetimes with one fetch per lifetime', async () => {
    const { sim, simUrl, hub, key } = await stack(grant);
    const durationMs = 3 * TTL_S * 1000;
    const tally = await pollAndUse(hub, key, simUrl, durationMs);
    expect(tally['ok']).toBeGreaterThan(100);
    expect(Object.keys(tally)).toEqual(['ok']); // no 40001, no 42001, no hub errors
    // A token is replaced 1.2 s before its 4 s expiry: one fetch per 2.8 s of wall time.
    const expected = durationMs / (TTL_S * 1000 - COMPRESSED.refreshLeadMs);
    const fetches = tokenFetches(sim, APPID);
    expect(fetches).toBeGreaterThanOrEqual(Math.floor(expected));
    expect(fetches).toBeLessThanOrEqual(Math.ceil(expected) + 1);
  }, 40_000);
});

describe('hub end to end: concurrency over HTTP', () => {
  it('answers 500 concurrent first requests with one upstream fetch and one token', async () => {
    // A generous upstream timeout: this test is about sharing one fetch, not about a loaded machine's latency.
    // A long token life: the requests may take longer than a compressed lifetime on a loaded machine, and a
    // scheduled refresh meanwhile would be right, but is not what this test counts.
    const { sim, hub, key } = await stack('classic', { prefetch: false, upstreamTimeoutMs: 10_000 }, { latencyMs: 200, tokenTtlSeconds: 7200, graceSeconds: 300 });
    const answers = await Promise.all(Array.from({ length: 500 }, () => getJson(`${hub.url}/v1/apps/${APPID}/access-token`, key)));
    expect(answers.filter((a) => a.status !== 200).map((a) => a.body)).toEqual([]);
    expect(new Set(answers.map((a) => a.body['access_token'])).size).toBe(1);
    expect(tokenFetches(sim, APPID)).toBe(1);
    expect(sim.state.counters(APPID).maxConcurrentTokenFetches).toBe(1);
  });

  it('refreshes once for 200 concurrent invalidations of the current token, never for an old one', async () => {
    const { sim, hub, key } = await stack('classic', {}, { tokenTtlSeconds: 7200, graceSeconds: 300 });
    const first = await getJson(`${hub.url}/v1/apps/${APPID}/access-token`, key);
    const before = tokenFetches(sim, APPID);
    const report = (token: unknown) =>
      fetch(`${hub.url}/v1/apps/${APPID}/access-token/invalidate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ access_token: token }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
    const answers = await Promise.all(Array.from({ length: 200 }, () => report(first.body['access_token'])));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(new Set(answers.map((a) => a.body['access_token'])).size).toBe(1);
    expect(tokenFetches(sim, APPID) - before).toBe(1);
    await report(first.body['access_token']);
    expect(tokenFetches(sim, APPID) - before).toBe(1);
  });

  it('stable grant: a report inside the 30 s force spacing waits, and WeChat never sees two forces closer than that', async () => {
    // A generous upstream timeout: on a loaded machine a 1 s timeout on the first force would end the chain early.
    // The two reports follow each other within seconds: the invalidation floor (tested on its own) is off.
    const { sim, hub, key } = await stack('stable', { forceSpacingMs: 1_500, upstreamTimeoutMs: 10_000, invalidationFloorMs: 0 }, { tokenTtlSeconds: 7200, graceSeconds: 300, stableWindowSeconds: 300, forceSpacingSeconds: 1.5 });
    const report = async (token: unknown) => {
      const r = await fetch(`${hub.url}/v1/apps/${APPID}/access-token/invalidate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ access_token: token }),
      });
      return { at: Date.now(), body: (await r.json()) as Record<string, unknown> };
    };
    const first = await getJson(`${hub.url}/v1/apps/${APPID}/access-token`, key);
    const second = await report(first.body['access_token']);
    const third = await report(second.body['access_token']);
    const { requests, rotations } = sim.state.counters(APPID);
    expect(requests.stableForce).toBe(2);
    expect(rotations.stableForce).toBe(2); // both forces rotated: neither came inside WeChat's spacing
    expect(third.body['access_token']).not.toBe(second.body['access_token']);
    expect(third.at - second.at).toBeGreaterThanOrEqual(1_400);
  });
});

describe('hub end to end: persistence and secrets', () => {
  it('a restart with a valid stored token makes no upstream call; the SQLite file holds no plaintext secret', async () => {
    const { sim, simUrl, hub, key, dir, storeUrl } = await stack('classic', { refreshLeadMs: 200, serveMarginMs: 100, referenceLifetimeMs: 60_000 }, { tokenTtlSeconds: 60, graceSeconds: 30 });
    const first = await getJson(`${hub.url}/v1/apps/${APPID}/access-token`, key);
    expect(first.status).toBe(200);
    await hub.close();
    cleanups.pop();
    const before = tokenFetches(sim, APPID);
    const again = await startHub(storeUrl, simUrl, { prefetch: true, refreshLeadMs: 200, serveMarginMs: 100, referenceLifetimeMs: 60_000 });
    cleanups.push(() => again.close());
    const second = await getJson(`${again.url}/v1/apps/${APPID}/access-token`, key);
    expect(second.body['access_token']).toBe(first.body['access_token']);
    expect(tokenFetches(sim, APPID)).toBe(before);
    for (const file of await readdir(dir)) {
      const bytes = await readFile(join(dir, file));
      expect(bytes.includes(Buffer.from(SECRET)), `${file} must not contain the secret`).toBe(false);
    }
  });
});

describe('hub end to end: upstream failures', () => {
  const modes = [
    { mode: 'errcode', errcode: -1 },
    { mode: 'http-502' },
    { mode: 'truncated-json' },
    { mode: 'empty-body' },
    { mode: 'reset' },
    { mode: 'hang' },
  ] as const;
  // A hang costs a whole client timeout (1 s) per attempt: one is what the 2.1 s window comfortably absorbs.
  const countFor = (mode: string): number => (mode === 'hang' ? 1 : 3);

  it.each(modes)('keeps serving the valid token through $mode faults and recovers afterwards', async (fault) => {
    // Lead 2.5 s: a hung attempt costs the whole 1 s client timeout and must fit before the token's end.
    const { sim, simUrl, hub, key } = await stack('classic', { refreshLeadMs: 2_500 }, { tokenTtlSeconds: 6, graceSeconds: 3 });
    const first = await getJson(`${hub.url}/v1/apps/${APPID}/access-token`, key);
    const servedUntil = Date.parse(String(first.body['expires_at']));
    const count = countFor(fault.mode);
    sim.state.injectFault({ path: '/cgi-bin/token', count, ...fault });
    // The refresh is due 2.1 s before the end of the serving window; the first attempts meet the faults.
    await new Promise((r) => setTimeout(r, servedUntil - Date.now() - 300));
    const during = await getJson(`${hub.url}/v1/apps/${APPID}/access-token`, key);
    expect(during.status).toBe(200);
    const ok = await fetch(`${simUrl}/cgi-bin/getcallbackip?access_token=${String(during.body['access_token'])}`);
    expect(((await ok.json()) as { errcode?: number }).errcode).toBeUndefined();
    // Once the faults are spent, a retry succeeds and the new token is served.
    let after = during;
    for (let i = 0; i < 50 && after.body['access_token'] === first.body['access_token']; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = await getJson(`${hub.url}/v1/apps/${APPID}/access-token`, key);
    }
    expect(after.status).toBe(200);
    expect(after.body['access_token']).not.toBe(first.body['access_token']);
    expect(tokenFetches(sim, APPID)).toBe(1 + count + 1);
  }, 20_000);

  it('marks an app with a wrong secret failed, stops calling WeChat, and tells callers why', async () => {
    const { sim, hub, key } = await stack('classic');
    await hub.hub.putApp(APPID, { secret: 'wrong-secret-0000', grant: 'classic' });
    const answers = await Promise.all(Array.from({ length: 50 }, () => getJson(`${hub.url}/v1/apps/${APPID}/access-token`, key)));
    await new Promise((r) => setTimeout(r, 1_000));
    const more = await getJson(`${hub.url}/v1/apps/${APPID}/access-token`, key);
    for (const a of [...answers, more]) {
      expect(a.status).toBe(502);
      expect(a.body).toMatchObject({ error: { code: 'credentials_rejected' } });
      expect(JSON.stringify(a.body)).not.toContain('wrong-secret');
    }
    expect(tokenFetches(sim, APPID)).toBe(1);
    const admin = await getJson(`${hub.url}/v1/apps`, ADMIN_KEY);
    expect(JSON.stringify(admin.body)).toContain('failed');
    expect(JSON.stringify(admin.body)).not.toContain('wrong-secret');
  });
});
