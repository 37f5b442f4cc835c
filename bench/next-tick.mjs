// bench:next-tick — does holding a nextTick queue entry (src/server/next-tick-shapes.ts) change the hub's token
// read throughput? Fresh `wxtoken serve` processes with and without the anchor, alternating, each warmed up and
// then measured under the same load as bench:hub; prints every process's figure, the medians and the spread.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, CLI, cpuSeconds, load, machine, median, ROOT, startProcess } from './lib.mjs';

const PROCESSES = Number(process.env.BENCH_PROCESSES ?? 10);
const DURATION = Number(process.env.BENCH_DURATION ?? 5);
/** Processes per variant in the second pass, which counts deoptimisations instead of timing (0 skips it). */
const TRACED = Number(process.env.BENCH_TRACED_PROCESSES ?? PROCESSES);
const APPID = 'wx0123456789abcdef';
const SECRET = 'bench-secret-0123456789abcdef0123';

const dir = await mkdtemp(join(tmpdir(), 'wxtoken-bench-'));
const env = { WXTOKEN_MASTER_KEY: randomBytes(32).toString('hex'), WXTOKEN_LOG_LEVEL: 'warn', S: SECRET };
const procs = [];
try {
  const sim = await startProcess([CLI, 'simulate', '--listen', '127.0.0.1:0', '--app', `${APPID}:${SECRET}`]);
  procs.push(sim);
  const store = `sqlite:${join(dir, 'hub.db')}`;
  await cli(['app', 'add', APPID, '--secret-env', 'S', '--store', store], env);
  const key = (await cli(['key', 'create', '--name', 'bench', '--apps', APPID, '--store', store], env)).trim().split('\n').at(-1);
  const headers = { authorization: `Bearer ${key}` };
  const args = [join(ROOT, 'bench/serve-variant.mjs'), 'serve', '--listen', '127.0.0.1:0', '--store', store, '--upstream', sim.url];
  const rows = { anchored: [], plain: [] };
  const measure = async (mode) => {
    const hub = await startProcess(args, { env: { ...env, WXTOKEN_BENCH_ANCHOR: mode === 'anchored' ? '1' : '0' } });
    const url = `${hub.url}/v1/apps/${APPID}/access-token`;
    await load(url, { duration: 1, headers });
    const cpuBefore = await cpuSeconds(hub.child.pid);
    const result = await load(url, { duration: DURATION, headers });
    const cpuUs = ((await cpuSeconds(hub.child.pid)) - cpuBefore) * 1e6 / result.total;
    rows[mode].push({ ...result, cpuUs });
    await hub.stop();
  };
  // Alternating which goes first, so that a drift in the machine's speed falls on both alike.
  for (let i = 0; i < PROCESSES; i++) {
    for (const mode of i % 2 === 0 ? ['anchored', 'plain'] : ['plain', 'anchored']) await measure(mode);
  }
  const quartiles = (values) => {
    const s = [...values].sort((a, b) => a - b);
    const at = (q) => {
      const pos = (s.length - 1) * q;
      const lo = Math.floor(pos);
      return s[lo] + (s[Math.ceil(pos)] - s[lo]) * (pos - lo);
    };
    return { min: s[0], q1: at(0.25), median: at(0.5), q3: at(0.75), max: s.at(-1) };
  };
  const fmt = (n) => n.toFixed(0);
  const out = [`bench:next-tick on ${machine()} — ${PROCESSES} fresh serve processes per variant, ${DURATION} s each after 1 s warm-up, 100 keep-alive connections`];
  const stats = {};
  const cpuStats = {};
  for (const mode of ['anchored', 'plain']) {
    const rps = rows[mode].map((r) => r.rps);
    const cpu = rows[mode].map((r) => r.cpuUs);
    const q = (stats[mode] = quartiles(rps));
    const c = (cpuStats[mode] = quartiles(cpu));
    out.push(
      `${mode.padEnd(8)} req/s: ${rps.map(fmt).join(', ')}`,
      `${' '.repeat(8)} median ${fmt(q.median)}, interquartile ${fmt(q.q1)}–${fmt(q.q3)} (${fmt(q.q3 - q.q1)}), range ${fmt(q.min)}–${fmt(q.max)}; p99 median ${median(rows[mode].map((r) => r.p99))} ms`,
      `${' '.repeat(8)} server CPU µs/request: ${cpu.map((n) => n.toFixed(1)).join(', ')}`,
      `${' '.repeat(8)} median ${c.median.toFixed(1)}, interquartile ${c.q1.toFixed(1)}–${c.q3.toFixed(1)} (${(c.q3 - c.q1).toFixed(1)}), range ${c.min.toFixed(1)}–${c.max.toFixed(1)}`,
    );
  }

  // Second pass, not timed (tracing costs time): in how many processes did V8 throw away its optimised nextTick
  // because the queue entries' hidden classes were collected ("weak objects" in the reason; Node 24's V8 words it
  // "embedded weak objects cleared")? Start-up, warm-up and 2 s of load, as in the timed pass.
  const deopted = { anchored: 0, plain: 0 };
  for (let i = 0; i < TRACED; i++) {
    for (const mode of i % 2 === 0 ? ['anchored', 'plain'] : ['plain', 'anchored']) {
      const hub = await startProcess(['--trace-deopt', ...args], { env: { ...env, WXTOKEN_BENCH_ANCHOR: mode === 'anchored' ? '1' : '0' } });
      const url = `${hub.url}/v1/apps/${APPID}/access-token`;
      await load(url, { duration: 1, headers });
      await load(url, { duration: 2, headers });
      await hub.stop();
      const lines = hub.output().split('\n').filter((line) => line.includes('nextTick') && line.includes('weak objects'));
      if (lines.length > 0) deopted[mode]++;
    }
  }
  if (TRACED > 0) {
    out.push(`processes whose nextTick was deoptimised for collected weak objects (--trace-deopt, untimed): anchored ${deopted.anchored}/${TRACED}, plain ${deopted.plain}/${TRACED}`);
  }

  const diff = stats.anchored.median - stats.plain.median;
  const spread = Math.max(stats.anchored.q3 - stats.anchored.q1, stats.plain.q3 - stats.plain.q1);
  out.push(
    `difference of medians (anchored − plain): ${fmt(diff)} req/s (${((diff / stats.plain.median) * 100).toFixed(1)} %); larger interquartile range: ${fmt(spread)} req/s → ${Math.abs(diff) > spread ? 'larger than the spread' : 'within the spread'}`,
  );
  const cpuDiff = cpuStats.anchored.median - cpuStats.plain.median;
  const cpuSpread = Math.max(cpuStats.anchored.q3 - cpuStats.anchored.q1, cpuStats.plain.q3 - cpuStats.plain.q1);
  out.push(
    `CPU per request, difference of medians (anchored − plain): ${cpuDiff.toFixed(1)} µs (${((cpuDiff / cpuStats.plain.median) * 100).toFixed(1)} %); larger interquartile range: ${cpuSpread.toFixed(1)} µs → ${Math.abs(cpuDiff) > cpuSpread ? 'larger than the spread' : 'within the spread'}`,
  );
  console.log(out.join('\n'));
} finally {
  for (const p of procs.reverse()) await p.stop();
  await rm(dir, { recursive: true, force: true });
}
