// bench:cluster — several `wxtoken serve` instances on one Redis / PostgreSQL: token-read throughput and p99 on
// 1 vs 3 instances, upstream fetches per token lifetime over a compressed run, and how long a refresh on one
// instance takes to reach the others. Starts its own throwaway redis-server and PostgreSQL cluster, a simulator
// and the hubs, all on 127.0.0.1, and stops them at the end.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { cli, CLI, load, machine, median, startProcess } from './lib.mjs';

const DURATION = Number(process.env.BENCH_DURATION ?? 5);
/** Throughput runs per configuration (1 and 3 instances alternate); the table shows medians. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PROPAGATION_ROUNDS = Number(process.env.BENCH_PROPAGATION_ROUNDS ?? 50);
/** Compressed lifetimes for the fetch count: 7200 s → 6 s; refresh 1.5 s before expiry, so one fetch per 4.5 s. */
const SHORT_TTL_S = 6;
const SHORT_FLAGS = ['--reference-lifetime', '6', '--refresh-lead', '1.5', '--serve-margin', '0.5', '--lease-ttl', '3'];
const LIFETIMES = Number(process.env.BENCH_LIFETIMES ?? 3);
/** Which stores to measure, in order: `redis`, `postgres` (default both). */
const STORES = (process.env.BENCH_STORES ?? 'redis,postgres').split(',').map((s) => s.trim().toLowerCase());
const APPID = 'wx0123456789abcdef';
const SECRET = 'bench-secret-0123456789abcdef0123';
const ADMIN_KEY = 'bench-admin-key-0123456789';
const run = promisify(execFile);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A TCP port free right now on 127.0.0.1. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Retries `probe` until it resolves, for up to `ms`. */
async function until(probe, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await probe();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what}: ${err}`);
      await sleep(50);
    }
  }
}

/** A throwaway redis-server keeping nothing on disk. */
async function startRedis() {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}/0`;
  await until(async () => {
    const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    r.on('error', () => {});
    try {
      await r.connect();
      await r.ping();
    } finally {
      r.disconnect();
    }
  }, 10_000, 'redis-server did not start');
  return {
    url,
    stop: () => new Promise((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', resolve), child.kill('SIGKILL')))),
  };
}

/** A throwaway PostgreSQL cluster (initdb + pg_ctl; as root the binaries run as the postgres user). */
async function startPostgres() {
  const root = '/usr/lib/postgresql';
  const version = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => b - a)[0] : undefined;
  const bin = version ? join(root, version, 'bin') : spawnSync('sh', ['-c', 'dirname "$(command -v initdb)"'], { encoding: 'utf8' }).stdout.trim();
  if (!bin || !existsSync(join(bin, 'initdb'))) throw new Error('PostgreSQL server binaries (initdb, pg_ctl) are not installed');
  const asRoot = process.getuid?.() === 0;
  const dir = await mkdtemp(join(tmpdir(), 'wxtoken-bench-pg-'));
  const data = join(dir, 'data');
  const socket = join(dir, 'socket');
  mkdirSync(socket);
  if (asRoot) {
    const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    chownSync(dir, uid, gid);
    chownSync(socket, uid, gid);
    chmodSync(dir, 0o700);
  }
  const tool = (name, args) => (asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, name), ...args]) : run(join(bin, name), args));
  const port = await freePort();
  // Durability settings as a production server would have them: the store's writes are part of what is measured.
  const options = `-p ${port} -k ${socket} -c listen_addresses=127.0.0.1`;
  await tool('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-instructions']);
  await tool('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', '-t', '20', 'start']);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  await until(async () => {
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('SELECT 1');
    } finally {
      await client.end().catch(() => {});
    }
  }, 20_000, 'PostgreSQL did not start');
  return {
    url,
    async stop() {
      await tool('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** p-th percentile (0–100) of numbers, nearest rank. */
function percentile(values, p) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

async function json(url, init = {}) {
  const res = await fetch(url, init);
  const body = await res.json();
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

const env = { WXTOKEN_MASTER_KEY: randomBytes(32).toString('hex'), WXTOKEN_ADMIN_KEY: ADMIN_KEY, WXTOKEN_LOG_LEVEL: 'warn', S: SECRET };
const procs = [];
const stores = [];

/** Registers the app (classic grant: every refresh is a real fetch) and a key in the store namespace `url`. */
async function seed(url) {
  await cli(['app', 'add', APPID, '--secret-env', 'S', '--grant', 'classic', '--store', url], env);
  return (await cli(['key', 'create', '--name', 'bench', '--apps', APPID, '--store', url], env)).trim().split('\n').at(-1);
}

async function startHubs(count, storeUrl, upstream, flags = []) {
  const hubs = await Promise.all(
    Array.from({ length: count }, () => startProcess([CLI, 'serve', '--listen', '127.0.0.1:0', '--store', storeUrl, '--upstream', upstream, ...flags], { env })),
  );
  procs.push(...hubs);
  return hubs;
}

async function stopHubs(hubs) {
  await Promise.all(hubs.map((h) => h.stop()));
  for (const h of hubs) procs.splice(procs.indexOf(h), 1);
}

const tokenPath = `/v1/apps/${APPID}/access-token`;

/** Throughput of token reads: 100 connections on one instance, or spread over several (parallel runs, summed). */
async function throughput(hubs, headers, duration = DURATION) {
  const per = Math.floor(100 / hubs.length);
  const connections = hubs.map((_, i) => (i === 0 ? 100 - per * (hubs.length - 1) : per));
  const runs = await Promise.all(hubs.map((h, i) => load(`${h.url}${tokenPath}`, { connections: connections[i], duration, headers })));
  return { rps: runs.reduce((s, r) => s + r.rps, 0), p99: Math.max(...runs.map((r) => r.p99)), p50: Math.max(...runs.map((r) => r.p50)) };
}

/** Medians over ROUNDS alternating runs on one instance and on all of them, after a warm-up of each. */
async function compareThroughput(hubs, headers) {
  await throughput(hubs.slice(0, 1), headers, 2);
  await throughput(hubs, headers, 2);
  const rows = { one: [], all: [] };
  for (let i = 0; i < ROUNDS; i++) {
    rows.one.push(await throughput(hubs.slice(0, 1), headers));
    rows.all.push(await throughput(hubs, headers));
  }
  const summary = (rs) => ({ rps: median(rs.map((r) => r.rps)), p50: median(rs.map((r) => r.p50)), p99: median(rs.map((r) => r.p99)) });
  return { one: summary(rows.one), three: summary(rows.all) };
}

/** Forced refresh on A, then tight polling of the others until every one serves the new token; ms per round. */
async function propagation(hubs, headers) {
  const [a, ...others] = hubs;
  const admin = { authorization: `Bearer ${ADMIN_KEY}` };
  const samples = [];
  for (let i = 0; i < PROPAGATION_ROUNDS; i++) {
    const { access_token: fresh } = await json(`${a.url}/v1/apps/${APPID}/refresh`, { method: 'POST', headers: admin });
    const refreshedAt = performance.now();
    await Promise.all(
      others.map(async (h) => {
        for (let n = 0; ; n++) {
          const { access_token: served } = await json(`${h.url}${tokenPath}`, { headers });
          if (served === fresh) return;
          if (n > 10_000) throw new Error(`instance ${h.url} never served the refreshed token`);
        }
      }),
    );
    samples.push(performance.now() - refreshedAt);
  }
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), max: Math.max(...samples) };
}

/** Three instances on compressed lifetimes under light load; upstream fetches counted by the simulator. */
async function fetchesPerLifetime(storeUrl, shortSim) {
  const key = await seed(storeUrl);
  const counters = `${shortSim.url}/__sim/apps/${APPID}/counters`;
  await json(`${counters}/reset`, { method: 'POST' });
  const startedAt = performance.now();
  const hubs = await startHubs(3, storeUrl, shortSim.url, SHORT_FLAGS);
  const headers = { authorization: `Bearer ${key}` };
  const ms = LIFETIMES * (SHORT_TTL_S - 1.5) * 1000;
  await Promise.all(hubs.map((h) => load(`${h.url}${tokenPath}`, { connections: 5, duration: ms / 1000, headers })));
  const elapsedS = (performance.now() - startedAt) / 1000;
  const c = await json(counters);
  await stopHubs(hubs);
  const lifetimes = 1 + elapsedS / (SHORT_TTL_S - 1.5);
  return { fetches: c.requests.classic, lifetimes, maxConcurrent: c.maxConcurrentTokenFetches };
}

const results = [];
try {
  const sim = await startProcess([CLI, 'simulate', '--listen', '127.0.0.1:0', '--app', `${APPID}:${SECRET}`]);
  procs.push(sim);
  const shortSim = await startProcess([CLI, 'simulate', '--listen', '127.0.0.1:0', '--app', `${APPID}:${SECRET}`, '--token-ttl', String(SHORT_TTL_S), '--grace', '3', '--latency', '100']);
  procs.push(shortSim);

  const backends = {
    redis: ['Redis', startRedis, (url, n) => `${url}?prefix=${n}:`],
    postgres: ['PostgreSQL', startPostgres, (url, n) => `${url}?schema=${n}`],
  };
  for (const id of STORES) {
    if (!backends[id]) throw new Error(`BENCH_STORES: unknown store ${JSON.stringify(id)}; expected redis and/or postgres`);
    const [name, start, ns] = backends[id];
    const server = await start();
    stores.push(server);
    const storeUrl = ns(server.url, 'bench');
    const key = await seed(storeUrl);
    const headers = { authorization: `Bearer ${key}` };

    const [a, b, c] = await startHubs(3, storeUrl, sim.url);
    await json(`${a.url}${tokenPath}`, { headers });
    const { one, three } = await compareThroughput([a, b, c], headers);
    const prop = await propagation([a, b, c], headers);
    await stopHubs([a, b, c]);
    const fetches = await fetchesPerLifetime(ns(server.url, 'lifetimes'), shortSim);
    results.push({ name, one, three, prop, fetches });
    await server.stop();
    stores.splice(stores.indexOf(server), 1);
  }

  const f0 = (n) => n.toFixed(0);
  const f1 = (n) => n.toFixed(1);
  const out = [
    `bench:cluster on ${machine()} — token reads: medians of ${ROUNDS} runs × ${DURATION} s, 100 keep-alive connections (autocannon in this process); 3 instances: three parallel runs of 34/33/33 connections, req/s summed, worst p50/p99 of the three`,
    '',
    '| store | instances | req/s | p50 ms | p99 ms |',
    '|---|---|---|---|---|',
    ...results.flatMap((r) => [
      `| ${r.name} | 1 | ${f0(r.one.rps)} | ${r.one.p50} | ${r.one.p99} |`,
      `| ${r.name} | 3 | ${f0(r.three.rps)} | ${r.three.p50} | ${r.three.p99} |`,
    ]),
    '',
    `Refresh propagation: forced refresh (POST /v1/apps/{appid}/refresh) on instance A, then B and C polled back to back until both serve the new token; ${PROPAGATION_ROUNDS} rounds (target p99 < 50 ms on Redis).`,
    '',
    '| store | p50 ms | p99 ms | max ms |',
    '|---|---|---|---|',
    ...results.map((r) => `| ${r.name} | ${f1(r.prop.p50)} | ${f1(r.prop.p99)} | ${f1(r.prop.max)} |`),
    '',
    `Upstream fetches: 3 instances under load (5 connections each), simulator tokens ${SHORT_TTL_S} s with 100 ms latency, refresh 1.5 s before expiry (one lifetime = 4.5 s).`,
    '',
    '| store | token lifetimes | upstream fetches | most fetches in flight at once |',
    '|---|---|---|---|',
    ...results.map((r) => `| ${r.name} | ${f1(r.fetches.lifetimes)} | ${r.fetches.fetches} | ${r.fetches.maxConcurrent} |`),
  ];
  console.log(out.join('\n'));
} finally {
  for (const p of procs.reverse()) await p.stop();
  for (const s of stores) await s.stop();
}
