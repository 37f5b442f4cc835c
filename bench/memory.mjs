// bench:memory — resident memory of `wxtoken serve` per credential: fresh processes holding 0, 1,000 and 10,000
// apps, each with a valid access token stored in SQLite (seeded directly, so no upstream call is made), measured
// after full garbage collections (bench/memory-probe.mjs, preloaded). Several processes per size; medians and
// spread. With BENCH_MEMORY_PROFILE=1, heap snapshots of a 0-app and a 10,000-app process are compared by
// constructor to show what each credential costs.
//
// env: BENCH_MEMORY_ROUNDS (processes per size, default 5), BENCH_MEMORY_SIZES (default 0,1000,10000),
//      BENCH_MEMORY_SETTLE_MS (wait after listening before measuring, default 3000), BENCH_MEMORY_PROFILE.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, machine, median, ROOT, rssMb, startProcess } from './lib.mjs';

const ROUNDS = Number(process.env.BENCH_MEMORY_ROUNDS ?? 5);
const SIZES = (process.env.BENCH_MEMORY_SIZES ?? '0,1000,10000').split(',').map(Number);
const SETTLE_MS = Number(process.env.BENCH_MEMORY_SETTLE_MS ?? 3_000);
const PROFILE = process.env.BENCH_MEMORY_PROFILE === '1';
const TARGET_KB = 2.5;
const SECRET = 'bench-secret-0123456789abcdef0123';
const MASTER_KEY = randomBytes(32);
const ADMIN_KEY = 'bench-admin-key-0123456789abcdef';

const { openStore } = await import(`${ROOT}dist/stores/open-store.js`);
const { createSecretBox } = await import(`${ROOT}dist/core/secret-box.js`);

const appidOf = (i) => `wx${(0x1000000000000000n + BigInt(i)).toString(16).padStart(16, '0')}`;

/** A SQLite store with `n` classic apps, each with an access token valid for two hours. */
async function seed(file, n) {
  const store = await openStore(`sqlite:${file}`, {});
  const box = createSecretBox(MASTER_KEY);
  const now = Date.now();
  try {
    for (let i = 0; i < n; i++) {
      const appid = appidOf(i);
      await store.putPrincipal({ id: appid, type: 'app', attributes: { grant: 'classic' }, secrets: { secret: box.seal(SECRET, appid) }, createdAt: now, updatedAt: now });
      const token = `86_${randomBytes(72).toString('base64url')}`;
      const ok = await store.putCredential(
        { key: `${appid}:access_token`, version: 1, token, expiresAt: now + 7_200_000, obtainedAt: now, failure: null, state: null, pending: null, invalidations: 0 },
        0,
      );
      if (!ok) throw new Error(`seeding ${appid}: the token write was refused`);
    }
  } finally {
    await store.close();
  }
}

/** An upstream that counts what reaches it (a hub holding valid tokens calls nothing) and answers errors. */
function countingUpstream() {
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"errcode":-1,"errmsg":"bench upstream"}');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${server.address().port}`, requests: () => requests, close: () => new Promise((r) => server.close(r)) })));
}

/** Starts a hub on `file`, lets it settle, GCs it, reads its memory; checks it holds `n` valid tokens. */
async function measure(file, n, upstream, snapshot) {
  const env = { WXTOKEN_MASTER_KEY: MASTER_KEY.toString('hex'), WXTOKEN_ADMIN_KEY: ADMIN_KEY, WXTOKEN_LOG_LEVEL: 'warn', ...(snapshot && { BENCH_HEAP_SNAPSHOT: snapshot }) };
  const hub = await startProcess(['--expose-gc', '--import', join(ROOT, 'bench/memory-probe.mjs'), CLI, 'serve', '--listen', '127.0.0.1:0', '--store', `sqlite:${file}`, '--upstream', upstream.url], { env });
  try {
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    let stderr = '';
    const line = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no memory report: ${stderr.slice(-2000)}`)), 120_000);
      hub.child.stderr.on('data', (d) => {
        stderr += d;
        const m = /WXTOKEN_MEMORY (\{.*\})\n/.exec(stderr);
        if (m) {
          clearTimeout(timer);
          resolve(JSON.parse(m[1]));
        }
      });
    });
    hub.child.kill('SIGUSR2');
    const usage = await line;
    if (usage.error) throw new Error(usage.error);
    const rss = await rssMb(hub.child.pid);
    // Only now (it allocates): every app is listed with a valid token.
    const res = await fetch(`${hub.url}/v1/apps`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    const list = await res.json();
    const apps = list.apps ?? list;
    const ok = apps.filter((a) => a.state === 'ok').length;
    if (apps.length !== n || ok !== n) throw new Error(`hub with ${n} apps lists ${apps.length}, ${ok} with a valid token: ${JSON.stringify(apps.slice(0, 2))}`);
    return { rss, heapUsed: usage.heapUsed / 2 ** 20, heapTotal: usage.heapTotal / 2 ** 20, external: usage.external / 2 ** 20, arrayBuffers: usage.arrayBuffers / 2 ** 20, snapshot: usage.snapshot, spacesKb: usage.spacesKb };
  } finally {
    await hub.stop();
  }
}

// --- heap snapshot comparison -------------------------------------------------------------------------------

/** Self size and count per `type name` (strings lumped by type) of a .heapsnapshot file. */
async function heapCensus(file) {
  const chunks = [];
  for await (const c of createReadStream(file)) chunks.push(c);
  const snap = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const census = new Map();
  const { nodes, strings } = snap;
  for (let i = 0; i < nodes.length; i += fields.length) {
    const type = types[nodes[i + typeAt]];
    const name = strings[nodes[i + nameAt]];
    const key = /string/.test(type) ? `(${type})` : type === 'number' || type === 'hidden' || type === 'code' ? `(${type}) ${name.slice(0, 40)}` : `${type} ${name.slice(0, 60)}`;
    const entry = census.get(key) ?? { size: 0, count: 0 };
    entry.size += nodes[i + sizeAt];
    entry.count += 1;
    census.set(key, entry);
  }
  return census;
}

function censusDiff(base, full, n, top = 20) {
  const keys = new Set([...base.keys(), ...full.keys()]);
  const rows = [...keys].map((k) => {
    const a = base.get(k) ?? { size: 0, count: 0 };
    const b = full.get(k) ?? { size: 0, count: 0 };
    return { key: k, size: b.size - a.size, count: b.count - a.count };
  });
  rows.sort((x, y) => y.size - x.size);
  const total = rows.reduce((s, r) => s + r.size, 0);
  const lines = rows.slice(0, top).map((r) => `| ${r.key.replace(/\|/g, '\\|')} | ${(r.size / n).toFixed(0)} | ${(r.count / n).toFixed(2)} | ${((100 * r.size) / total).toFixed(1)} % |`);
  return { total, lines };
}

// --- run ----------------------------------------------------------------------------------------------------

const dir = await mkdtemp(join(tmpdir(), 'wxtoken-bench-memory-'));
const upstream = await countingUpstream();
try {
  const files = {};
  for (const n of SIZES) {
    const started = Date.now();
    files[n] = join(dir, `apps-${n}.db`);
    await seed(files[n], n);
    console.error(`seeded ${n} apps in ${((Date.now() - started) / 1000).toFixed(1)} s (${((await stat(files[n])).size / 2 ** 20).toFixed(1)} MB)`);
  }
  const rows = Object.fromEntries(SIZES.map((n) => [n, []]));
  for (let round = 0; round < ROUNDS; round++) {
    // Sizes in a different order each round, so a drift of the machine does not fall on one size.
    const order = round % 2 === 0 ? SIZES : [...SIZES].reverse();
    for (const n of order) {
      const r = await measure(files[n], n, upstream);
      rows[n].push(r);
      console.error(`round ${round + 1}: ${n} apps: RSS ${r.rss.toFixed(1)} MB, heap used ${r.heapUsed.toFixed(1)} MB, heap total ${r.heapTotal.toFixed(1)} MB, external ${r.external.toFixed(1)} MB; V8 spaces KB ${JSON.stringify(r.spacesKb)}`);
    }
  }

  const fmt = (x, d = 1) => x.toFixed(d);
  const spread = (xs) => `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`;
  const out = [
    `bench:memory on ${machine()} (${cpus().length} cores, shared), ${new Date().toISOString()}`,
    `node ${process.version}; ${ROUNDS} fresh \`wxtoken serve\` processes per size, SQLite store, every app with a valid stored access token; measured ${SETTLE_MS / 1000} s after listening, after 3 full GCs; upstream requests during the run: ${upstream.requests()}`,
    '',
    '| apps | RSS MB median (min–max) | heap used MB median (min–max) | heap total MB | external MB | array buffers MB |',
    '|---|---|---|---|---|---|',
  ];
  for (const n of SIZES) {
    const rs = rows[n];
    const col = (f) => rs.map(f);
    out.push(`| ${n.toLocaleString('en')} | ${fmt(median(col((r) => r.rss)))} (${spread(col((r) => r.rss))}) | ${fmt(median(col((r) => r.heapUsed)))} (${spread(col((r) => r.heapUsed))}) | ${fmt(median(col((r) => r.heapTotal)))} | ${fmt(median(col((r) => r.external)))} | ${fmt(median(col((r) => r.arrayBuffers)))} |`);
  }
  const lo = Math.min(...SIZES);
  const hi = Math.max(...SIZES);
  if (hi > lo) {
    const perKb = (f) => ((median(rows[hi].map(f)) - median(rows[lo].map(f))) * 1024) / (hi - lo);
    // Spread: every pairing of a high-size process with a low-size one.
    const pairs = rows[hi].flatMap((a) => rows[lo].map((b) => ((a.rss - b.rss) * 1024) / (hi - lo)));
    out.push('');
    out.push(`per credential, (RSS at ${hi.toLocaleString('en')} − RSS at ${lo}) / ${hi.toLocaleString('en')}: ${fmt(perKb((r) => r.rss), 2)} KB (medians; over all pairs of processes ${spread(pairs.map((p) => Number(p.toFixed(2))))} KB); target ${TARGET_KB} KB: ${perKb((r) => r.rss) <= TARGET_KB ? 'met' : 'NOT met'}`);
    out.push(`of which V8 heap used: ${fmt(perKb((r) => r.heapUsed), 2)} KB; heap reserved (heap total): ${fmt(perKb((r) => r.heapTotal), 2)} KB; external: ${fmt(perKb((r) => r.external), 2)} KB`);
  }
  console.log(out.join('\n'));

  if (PROFILE && hi > lo) {
    const base = await measure(files[lo], lo, upstream, join(dir, 'base.heapsnapshot'));
    const full = await measure(files[hi], hi, upstream, join(dir, 'full.heapsnapshot'));
    const { total, lines } = censusDiff(await heapCensus(base.snapshot), await heapCensus(full.snapshot), hi - lo);
    console.log(
      [
        '',
        `heap snapshot, ${hi.toLocaleString('en')} apps against ${lo}: ${fmt(total / 2 ** 20)} MB more live objects, ${fmt(total / 1024 / (hi - lo), 2)} KB per app; largest contributors per app:`,
        '',
        '| node type and name | bytes per app | objects per app | share |',
        '|---|---|---|---|',
        ...lines,
      ].join('\n'),
    );
  }
} finally {
  await upstream.close();
  await rm(dir, { recursive: true, force: true });
}
