// bench:hub — token reads per second and latency of GET /v1/apps/{appid}/access-token (authenticated) beside a
// bare Fastify route in the same run, and the hub's memory holding 1,000 apps.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, CLI, load, machine, median, ROOT, rssMb, startProcess } from './lib.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const APPID = 'wx0123456789abcdef';
const SECRET = 'bench-secret-0123456789abcdef0123';

const dir = await mkdtemp(join(tmpdir(), 'wxtoken-bench-'));
const env = { WXTOKEN_MASTER_KEY: randomBytes(32).toString('hex'), WXTOKEN_ADMIN_KEY: 'bench-admin-key-0123456789', WXTOKEN_LOG_LEVEL: 'warn', S: SECRET };
const procs = [];
try {
  const sim = await startProcess([CLI, 'simulate', '--listen', '127.0.0.1:0', '--app', `${APPID}:${SECRET}`]);
  procs.push(sim);
  const store = `sqlite:${join(dir, 'hub.db')}`;
  await cli(['app', 'add', APPID, '--secret-env', 'S', '--store', store], env);
  const key = (await cli(['key', 'create', '--name', 'bench', '--apps', APPID, '--store', store], env)).trim().split('\n').at(-1);
  const headers = { authorization: `Bearer ${key}` };
  // Fresh processes every round, bare and hub back to back, alternating which goes first so that a drift in the
  // machine's speed falls on both sides alike.
  const sides = {
    bare: { args: [join(ROOT, 'bench/bare-server.mjs')], path: '/token', options: {}, headers: {} },
    // The token is in the store from the first round on: no upstream fetch happens while measuring.
    hub: {
      args: [CLI, 'serve', '--listen', '127.0.0.1:0', '--store', store, '--upstream', sim.url],
      path: `/v1/apps/${APPID}/access-token`,
      options: { env },
      headers,
    },
  };
  const rows = { bare: [], hub: [] };
  const measure = async (side) => {
    const { args, path, options, headers: sent } = sides[side];
    const server = await startProcess(args, options);
    await load(server.url + path, { duration: 1, headers: sent });
    rows[side].push(await load(server.url + path, { duration: DURATION, headers: sent }));
    await server.stop();
  };
  for (let i = 0; i < ROUNDS; i++) {
    for (const side of i % 2 === 0 ? ['bare', 'hub'] : ['hub', 'bare']) await measure(side);
  }
  const summary = (rs) => ({ rps: median(rs.map((r) => r.rps)), p50: median(rs.map((r) => r.p50)), p99: median(rs.map((r) => r.p99)) });
  const b = summary(rows.bare);
  const h = summary(rows.hub);

  // Memory: a fresh hub (own store) holding 1,000 apps with tokens, against the same hub idle with none.
  const memStore = `sqlite:${join(dir, 'mem.db')}`;
  const memHub = await startProcess([CLI, 'serve', '--listen', '127.0.0.1:0', '--store', memStore, '--upstream', sim.url], { env });
  procs.push(memHub);
  await new Promise((r) => setTimeout(r, 1_000));
  const idleRss = await rssMb(memHub.child.pid);
  const admin = { authorization: `Bearer ${env.WXTOKEN_ADMIN_KEY}`, 'content-type': 'application/json' };
  const appids = Array.from({ length: 1000 }, (_, i) => `wx${(0x1000000000000000n + BigInt(i)).toString(16).padStart(16, '0')}`);
  for (const appid of appids) {
    await fetch(`${sim.url}/__sim/apps`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ appid, secret: SECRET }) });
    const res = await fetch(`${memHub.url}/v1/apps/${appid}`, { method: 'PUT', headers: admin, body: JSON.stringify({ secret: SECRET, grant: 'stable' }) });
    if (!res.ok) throw new Error(`PUT app: ${res.status} ${await res.text()}`);
  }
  let ready = 0;
  for (let i = 0; i < 120 && ready < appids.length; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const list = await (await fetch(`${memHub.url}/v1/apps`, { headers: admin })).json();
    ready = (list.apps ?? list).filter((a) => a.state === 'ok').length;
  }
  global.gc?.();
  await new Promise((r) => setTimeout(r, 1_000));
  const fullRss = await rssMb(memHub.child.pid);

  const fmt = (n) => n.toFixed(0);
  const out = [
    `bench:hub on ${machine()} — ${ROUNDS} rounds × ${DURATION} s (fresh processes each round), 100 keep-alive connections, medians`,
    '',
    '| route | req/s | p50 ms | p99 ms |',
    '|---|---|---|---|',
    `| bare Fastify route, constant JSON | ${fmt(b.rps)} | ${b.p50} | ${b.p99} |`,
    `| hub GET /v1/apps/{appid}/access-token (bearer auth) | ${fmt(h.rps)} | ${h.p50} | ${h.p99} |`,
    '',
    `per round req/s — bare: ${rows.bare.map((r) => fmt(r.rps)).join(', ')}; hub: ${rows.hub.map((r) => fmt(r.rps)).join(', ')}`,
    `per round hub/bare: ${rows.hub.map((r, i) => (r.rps / rows.bare[i].rps).toFixed(2)).join(', ')}`,
    `throughput ratio hub/bare: ${(h.rps / b.rps).toFixed(3)} (target ≥ 0.9); p99 ratio: ${(h.p99 / Math.max(1, b.p99)).toFixed(2)} (target ≤ 1.2)`,
    `RSS: idle hub ${idleRss.toFixed(1)} MB; holding ${ready}/1000 apps with tokens ${fullRss.toFixed(1)} MB (target < 150 MB)`,
  ];
  console.log(out.join('\n'));
} finally {
  for (const p of procs.reverse()) await p.stop();
  await rm(dir, { recursive: true, force: true });
}
