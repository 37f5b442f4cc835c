// bench:open-platform — hubs serving an Open Platform component with 1,000, 10,000 and 100,000 authorizers, on
// SQLite (one process) and on Redis (three at once): resident memory, start-up time until every instance serves an
// authorizer token, upstream calls made, and the p99 of a token read. The store is seeded directly (component,
// verify ticket, component token, every authorizer with its sealed refresh token and a valid authorizer token), so
// a correct hub fetches no token: its only upstream call is each instance's start-up reconciliation
// (api_get_authorizer_list), which the counting upstream refuses. Token calls per lifetime are measured by
// test/open/scale.test.ts (one per authorizer in use per lifetime).
//
// env: BENCH_OPEN_SIZES (default 1000,10000,100000), BENCH_OPEN_STORES (default sqlite,redis), BENCH_OPEN_ROUNDS
//      (processes per size and store, default 2), BENCH_OPEN_REDIS (default redis://127.0.0.1:6379/0),
//      BENCH_OPEN_WATCH_MS (how long RSS is sampled after the reads, default 70000: it spans the hub's first
//      periodic resync, 60 s after start, which re-reads tracked authorizers), BENCH_OPEN_INSTANCES (hub processes
//      started at once on a Redis store, default 3; SQLite is one process's store, so one there).
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, load, machine, median, ROOT, rssMb, startProcess } from './lib.mjs';
import { dropPrefix } from './open-platform-redis.mjs';

const SIZES = (process.env.BENCH_OPEN_SIZES ?? '1000,10000,100000').split(',').map(Number);
const STORES = (process.env.BENCH_OPEN_STORES ?? 'sqlite,redis').split(',');
const ROUNDS = Number(process.env.BENCH_OPEN_ROUNDS ?? 2);
const REDIS = process.env.BENCH_OPEN_REDIS ?? 'redis://127.0.0.1:6379/0';
const WATCH_MS = Number(process.env.BENCH_OPEN_WATCH_MS ?? 70_000);
const INSTANCES = Number(process.env.BENCH_OPEN_INSTANCES ?? 3);
const MASTER_KEY = randomBytes(32);
const COMPONENT = 'wxc0000000000000c1';
// Client keys carry the hub's prefix (core/client-keys.ts); only their hash is stored.
const CLIENT_KEY = `wxt_${randomBytes(32).toString('base64url')}`;

const { openStore } = await import(`${ROOT}dist/stores/open-store.js`);
const { createSecretBox } = await import(`${ROOT}dist/core/secret-box.js`);
const { secretContext } = await import(`${ROOT}dist/core/principals.js`);

const authorizerOf = (i) => `wxa${i.toString(16).padStart(15, '0')}`;

/** Seeds a store with the component, its ticket and token, and `n` authorizers each holding a valid token. */
async function seed(url, n) {
  const store = await openStore(url, {});
  const box = createSecretBox(MASTER_KEY);
  const now = Date.now();
  const record = (key, token, life) => ({ key, version: 1, token, expiresAt: now + life, obtainedAt: now, failure: null, state: null, pending: null, invalidations: 0 });
  const cid = `component:${COMPONENT}`;
  try {
    await store.putPrincipal({
      id: cid,
      type: 'component',
      attributes: { appid: COMPONENT },
      secrets: Object.fromEntries(
        [['secret', 'component-secret'], ['message_token', 'tok123'], ['aes_key', 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG']].map(([name, v]) => [name, box.seal(v, secretContext(cid, name))]),
      ),
      createdAt: now,
      updatedAt: now,
    });
    await store.putCredential({ ...record(`${cid}:verify_ticket`, 'ticket@@@bench', 12 * 3_600_000), state: { receivedAt: now } }, 0);
    await store.putCredential(record(`${cid}:component_token`, `component-${randomBytes(24).toString('base64url')}`, 7_200_000), 0);
    await store.addClientKey({ name: 'bench', hash: createHash('sha256').update(CLIENT_KEY).digest('hex'), apps: ['*'], createdAt: now, capabilities: null, expiresAt: null, lastUsedAt: null });
    const BATCH = 200;
    for (let start = 0; start < n; start += BATCH) {
      await Promise.all(
        Array.from({ length: Math.min(BATCH, n - start) }, async (_, j) => {
          const appid = authorizerOf(start + j);
          const id = `${cid}/${appid}`;
          await store.putPrincipal({
            id,
            type: 'authorizer',
            attributes: { component: COMPONENT, appid, status: 'active', statusAt: now },
            secrets: { refresh_token: box.seal(`refreshtoken@@@${appid}`, secretContext(id, 'refresh_token')) },
            createdAt: now,
            updatedAt: now,
          });
          await store.putCredential(record(`${id}:authorizer_token`, `86_${randomBytes(60).toString('base64url')}`, 7_200_000), 0);
        }),
      );
    }
  } finally {
    await store.close();
  }
}

/** An upstream that only counts: a hub whose store holds valid values calls it never. */
function countingUpstream() {
  let requests = 0;
  const server = createServer((_req, res) => {
    requests++;
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"errcode":-1,"errmsg":"bench upstream"}');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${server.address().port}`, requests: () => requests, close: () => new Promise((r) => server.close(r)) })));
}

async function tokenStatus(hub, i) {
  const res = await fetch(`${hub}/v1/authorizers/${authorizerOf(i)}/access-token?component=${COMPONENT}`, { headers: { authorization: `Bearer ${CLIENT_KEY}` } });
  const body = await res.text();
  if (res.status !== 200 && process.env.BENCH_OPEN_DEBUG) console.error(res.status, body);
  return res.status;
}

/** Reads every authorizer's token once (the first read of each loads it from the store), 64 at a time. */
async function readAll(hub, n) {
  let next = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < n) if ((await tokenStatus(hub, next++)) !== 200) failed++;
    }),
  );
  if (failed) throw new Error(`${failed} token reads failed`);
}

/** Full GCs in the hub (bench/memory-probe.mjs, on SIGUSR2), then its memory usage and V8 heap figures. */
function probe(child) {
  return new Promise((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`no memory report: ${stderr.slice(-2000)}`)), 120_000);
    const onData = (d) => {
      stderr += d;
      const m = /WXTOKEN_MEMORY (\{.*\})\n/.exec(stderr);
      if (!m) return;
      clearTimeout(timer);
      child.stderr.off('data', onData);
      resolve(JSON.parse(m[1]));
    };
    child.stderr.on('data', onData);
    child.kill('SIGUSR2');
  });
}

async function round(storeKind, n) {
  const dir = await mkdtemp(join(tmpdir(), 'wxtoken-bench-open-'));
  const prefix = `bench-open-${randomBytes(4).toString('hex')}:`;
  const url = storeKind === 'sqlite' ? `sqlite:${join(dir, 'hub.db')}` : `${REDIS}?prefix=${encodeURIComponent(prefix)}`;
  const upstream = await countingUpstream();
  try {
    await seed(url, n);
    const started = performance.now();
    const count = storeKind === 'redis' ? INSTANCES : 1;
    const hubs = await Promise.all(
      Array.from({ length: count }, () =>
        startProcess(['--expose-gc', '--import', join(ROOT, 'bench/memory-probe.mjs'), CLI, 'serve', '--listen', '127.0.0.1:0', '--store', url, '--upstream', upstream.url, '--log-level', 'error'], {
          env: { WXTOKEN_MASTER_KEY: MASTER_KEY.toString('hex') },
        }),
      ),
    );
    const [hub] = hubs;
    try {
      // Until every instance serves (each its own last authorizer: a first read, from the store).
      await Promise.all(
        hubs.map(async (h) => {
          for (let attempt = 0; ; attempt++) {
            const status = await tokenStatus(h.url, n - 1).catch(() => 0);
            if (status === 200) return;
            if (attempt > 3000) throw new Error(`a hub never served a token (last status ${status})`);
            await new Promise((r) => setTimeout(r, 10));
          }
        }),
      );
      const startupMs = performance.now() - started;
      const rssStarted = await rssMb(hub.child.pid);
      const rssOthers = await Promise.all(hubs.slice(1).map((h) => rssMb(h.child.pid)));
      const warmStarted = performance.now();
      await readAll(hub.url, n);
      const warmMs = performance.now() - warmStarted;
      const rssWarm = await rssMb(hub.child.pid);
      let rssPeak = rssWarm;
      for (const end = performance.now() + WATCH_MS; performance.now() < end; ) {
        await new Promise((r) => setTimeout(r, 500));
        rssPeak = Math.max(rssPeak, await rssMb(hub.child.pid));
      }
      const heap = await probe(hub.child);
      const hot = await load(`${hub.url}/v1/authorizers/${authorizerOf(Math.floor(n / 2))}/access-token?component=${COMPONENT}`, {
        connections: 10,
        duration: 3,
        headers: { authorization: `Bearer ${CLIENT_KEY}` },
      });
      return { instances: count, startupMs, rssStarted, rssOthers: rssOthers.length ? Math.max(...rssOthers) : null, rssWarm, rssPeak, heapLive: heap.heapUsed / 2 ** 20, native: (heap.rss - heap.heapTotal) / 2 ** 20, warmMs, p99: hot.p99, rps: hot.rps, upstream: upstream.requests() };
    } finally {
      await Promise.all(hubs.map((h) => h.stop()));
    }
  } finally {
    await upstream.close();
    await rm(dir, { recursive: true, force: true });
    if (storeKind === 'redis') {
      await dropPrefix(REDIS, prefix);
    }
  }
}

const spread = (xs, digits = 0) => `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;

console.log(`bench:open-platform — ${machine()}`);
console.log(`rounds per cell: ${ROUNDS}; figures are median (min–max)`);
console.log(`| store | authorizers | instances | start-up until every instance serves, ms | RSS at start, MB | the other instances' RSS (most), MB | RSS with every token read once, MB | peak RSS over the next ${WATCH_MS / 1000} s (a resync), MB | then: live heap after GC, MB | then: RSS outside the JS heap, MB | first read of all, s | p99 token read, ms | reads/s (10 conns) | upstream calls |`);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const storeKind of STORES) {
  for (const n of SIZES) {
    const results = [];
    for (let r = 0; r < ROUNDS; r++) results.push(await round(storeKind, n));
    const col = (f, d) => spread(results.map(f), d);
    console.log(
      `| ${storeKind} | ${n} | ${results[0].instances} | ${col((r) => r.startupMs)} | ${col((r) => r.rssStarted)} | ${results[0].rssOthers === null ? '—' : col((r) => r.rssOthers)} | ${col((r) => r.rssWarm)} | ${col((r) => r.rssPeak)} | ${col((r) => r.heapLive)} | ${col((r) => r.native)} | ${col((r) => r.warmMs / 1000, 1)} | ${col((r) => r.p99, 1)} | ${col((r) => r.rps)} | ${results.map((r) => r.upstream).join(', ')} |`,
    );
  }
}
