// bench:peers — three peer SDKs, unchanged, side by side: 3 processes each of co-wechat-api, wechat-api and
// node-easywechat call a business endpoint continuously for several compressed token lifetimes while the token is
// rotated from elsewhere mid-run, in three setups: (a) each process fetching its own token from the simulator, as
// their READMEs show; (b) pointed at one hub on SQLite; (c) spread over 3 hubs on Redis (the shared 127.0.0.1:6379,
// under a throwaway key prefix). Everything listens on 127.0.0.1. Prints a Markdown table for docs/benchmarks.md.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { cli, CLI, machine, startProcess } from '../lib.mjs';

/** Compressed token lifetime (WeChat's 7200 s → 24 s, as in issue 11's measurement); the hub scales its timing. */
const TTL_S = Number(process.env.BENCH_TTL ?? 24);
/** Lifetimes each setup runs; the rotation comes halfway. */
const LIFETIMES = Number(process.env.BENCH_LIFETIMES ?? 3);
/** Pause between one process's calls: about 20 calls a second per process. */
const PAUSE_MS = Number(process.env.BENCH_PAUSE_MS ?? 50);
const PROCESSES = 3;
const SDKS = ['co-wechat-api', 'wechat-api', 'node-easywechat'];
/** One app per SDK, so each row's counters are its own. */
const APPS = Object.fromEntries(SDKS.map((sdk, i) => [sdk, { appid: `wx00000000000000a${i}`, secret: `peer-secret-${i}-0123456789abcdef0123` }]));
const SETUPS = (process.env.BENCH_SETUPS ?? 'a,b,c').split(',');
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/0';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const env = { WXTOKEN_MASTER_KEY: randomBytes(32).toString('hex'), WXTOKEN_LOG_LEVEL: 'warn' };
const procs = [];

async function json(url, init = {}) {
  const res = await fetch(url, init);
  const body = await res.json();
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** p-th percentile (0–100), nearest rank. */
function percentile(values, p) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? 0;
}

/** A simulator process with the compressed lifetime; superseded tokens live 300 s scaled the same way. */
async function startSimulator() {
  const grace = Math.max(1, Math.round((300 * TTL_S) / 7200));
  const apps = SDKS.flatMap((sdk) => ['--app', `${APPS[sdk].appid}:${APPS[sdk].secret}`]);
  const sim = await startProcess([CLI, 'simulate', '--listen', '127.0.0.1:0', '--token-ttl', String(TTL_S), '--grace', String(grace), ...apps]);
  procs.push(sim);
  return sim;
}

/** Registers every app (classic grant, like the SDKs' own /cgi-bin/token) in the store at `storeUrl`. */
async function seed(storeUrl) {
  for (const sdk of SDKS) await cli(['app', 'add', APPS[sdk].appid, '--secret-env', 'S', '--grant', 'classic', '--store', storeUrl], { ...env, S: APPS[sdk].secret });
}

async function startHubs(count, storeUrl, upstream) {
  const hubs = await Promise.all(Array.from({ length: count }, () => startProcess([CLI, 'serve', '--listen', '127.0.0.1:0', '--store', storeUrl, '--upstream', upstream], { env })));
  procs.push(...hubs);
  return hubs;
}

/** Runs one SDK process until it prints its result. */
function worker(sdk, baseUrl, durationMs) {
  const { appid, secret } = APPS[sdk];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [new URL('./worker.mjs', import.meta.url).pathname, sdk, baseUrl, appid, secret, String(durationMs), String(PAUSE_MS)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1))) : reject(new Error(`${sdk} worker exited ${code}\n${err}`))));
  });
}

/** Another system fetches the token twice with the AppSecret: every token issued before is dead at once. */
async function rotateElsewhere(sim, appid) {
  for (let i = 0; i < 2; i++) await json(`${sim.url}/__sim/apps/${appid}/rotate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"grant":"classic"}' });
}

/** One setup: every SDK's processes at once against `baseUrls` (process i uses baseUrls[i % n]); one row per SDK. */
async function runSetup(name, sim, baseUrls) {
  for (const sdk of SDKS) await json(`${sim.url}/__sim/apps/${APPS[sdk].appid}/counters/reset`, { method: 'POST' });
  const durationMs = LIFETIMES * TTL_S * 1000;
  const started = Date.now();
  const runs = SDKS.flatMap((sdk) => Array.from({ length: PROCESSES }, (_, i) => worker(sdk, baseUrls[i % baseUrls.length], durationMs).then((r) => ({ sdk, ...r }))));
  // The rotation from elsewhere, halfway through; its own two token fetches are taken out of the counts.
  await sleep(durationMs / 2);
  const rotationFetches = {};
  for (const sdk of SDKS) {
    const before = (await json(`${sim.url}/__sim/apps/${APPS[sdk].appid}/counters`)).requests.classic;
    await rotateElsewhere(sim, APPS[sdk].appid);
    rotationFetches[sdk] = (await json(`${sim.url}/__sim/apps/${APPS[sdk].appid}/counters`)).requests.classic - before;
  }
  const results = await Promise.all(runs);
  const lifetimes = (Date.now() - started) / (TTL_S * 1000);
  const rows = [];
  for (const sdk of SDKS) {
    const c = await json(`${sim.url}/__sim/apps/${APPS[sdk].appid}/counters`);
    const mine = results.filter((r) => r.sdk === sdk);
    const latencies = mine.flatMap((r) => r.latencies);
    const errors = {};
    for (const r of mine) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
    const fetches = c.requests.classic + c.requests.stableNormal + c.requests.stableForce - rotationFetches[sdk];
    rows.push({
      setup: name,
      sdk,
      fetchesPerLifetime: fetches / lifetimes,
      fetches,
      calls: mine.reduce((n, r) => n + r.ok + r.failed, 0),
      failed: mine.reduce((n, r) => n + r.failed, 0),
      rejected: (c.businessCalls['40001'] ?? 0) + (c.businessCalls['42001'] ?? 0),
      maxConcurrent: c.maxConcurrentTokenFetches,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      errors,
    });
  }
  return rows;
}

const rows = [];
const cleanups = [];
try {
  // A fresh simulator per setup: one setup's token fetches must not spend the next one's daily quota.
  if (SETUPS.includes('a')) {
    const sim = await startSimulator();
    rows.push(...(await runSetup('(a) alone', sim, [sim.url])));
    await sim.stop();
  }
  if (SETUPS.includes('b')) {
    const sim = await startSimulator();
    const dir = await mkdtemp(join(tmpdir(), 'wxtoken-peers-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const storeUrl = `sqlite:${join(dir, 'hub.db')}`;
    await seed(storeUrl);
    const [hub] = await startHubs(1, storeUrl, sim.url);
    rows.push(...(await runSetup('(b) 1 hub, SQLite', sim, [hub.url])));
    await hub.stop();
  }
  if (SETUPS.includes('c')) {
    const sim = await startSimulator();
    const prefix = `wxtoken-bench-peers-${randomBytes(4).toString('hex')}:`;
    cleanups.push(async () => {
      const redis = new Redis(REDIS_URL);
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    });
    const storeUrl = `${REDIS_URL}?prefix=${prefix}`;
    await seed(storeUrl);
    const hubs = await startHubs(3, storeUrl, sim.url);
    rows.push(...(await runSetup('(c) 3 hubs, Redis', sim, hubs.map((h) => h.url))));
    await Promise.all(hubs.map((h) => h.stop()));
  }
} finally {
  await Promise.all(procs.map((p) => p.stop()));
  for (const cleanup of cleanups) await cleanup().catch(() => {});
}

const f1 = (n) => n.toFixed(1);
const lines = [
  `bench:peers on ${machine()} — ${PROCESSES} processes per SDK, ${LIFETIMES} lifetimes of ${TTL_S} s, one call per process every ${PAUSE_MS} ms plus its latency, the token rotated twice from elsewhere halfway (classic grant)`,
  '',
  '| setup | SDK | token fetches / lifetime | failed business calls | 40001 + 42001 from WeChat | most concurrent token fetches | p50 ms | p99 ms |',
  '|---|---|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.setup} | ${r.sdk} | ${f1(r.fetchesPerLifetime)} (${r.fetches}) | ${r.failed} of ${r.calls} | ${r.rejected} | ${r.maxConcurrent} | ${f1(r.p50)} | ${f1(r.p99)} |`),
];
console.log(lines.join('\n'));
const failures = rows.filter((r) => Object.keys(r.errors).length > 0).map((r) => `${r.setup} ${r.sdk}: ${JSON.stringify(r.errors)}`);
if (failures.length > 0) console.log(`\nfailures by kind:\n${failures.join('\n')}`);
