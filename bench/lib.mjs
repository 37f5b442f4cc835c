// Shared helpers for the benchmarks: child processes that print their URL, autocannon runs, RSS readings.
import { spawn, execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { promisify } from 'node:util';
import autocannon from 'autocannon';

const run = promisify(execFile);
export const ROOT = new URL('..', import.meta.url).pathname;
export const CLI = `${ROOT}bin/wxtoken.js`;

/**
 * Starts `node args…` and resolves once a stdout line matches `pattern` (its first group is returned). `output()`
 * is everything the process has written to stdout so far.
 */
export function startProcess(args, { env = {}, pattern = /(http:\/\/[\d.:]+)/ } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let started = false;
    const timer = setTimeout(() => reject(new Error(`timed out starting ${args.join(' ')}\n${out}\n${err}`)), 30_000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = started ? null : pattern.exec(out);
      if (m) {
        started = true;
        clearTimeout(timer);
        resolve({ child, url: m[1], stop: () => stopProcess(child), output: () => out });
      }
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited with ${code}\n${out}\n${err}`));
    });
  });
}

/** SIGTERM, then wait for exit and for the end of its output (what it printed last can arrive after 'exit'). */
export function stopProcess(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.removeAllListeners('exit');
    child.once('close', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Runs the CLI to completion and returns stdout. */
export async function cli(args, env = {}) {
  const { stdout } = await run(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
  return stdout;
}

/** One autocannon run; throws when any response was not 2xx (a benchmark of errors measures nothing). */
export async function load(url, { connections = 100, duration = 5, headers = {} } = {}) {
  const r = await autocannon({ url, connections, duration, headers, pipelining: 1 });
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${url}: ${r.non2xx} non-2xx responses, ${r.errors} errors`);
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, total: r.requests.total };
}

/** Resident set size of a process in MB, from /proc. */
export async function rssMb(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) / 1024;
}

/**
 * CPU time (user + system, in seconds) a process has used so far, from /proc. Unlike throughput, CPU time per
 * request hardly depends on what else the machine is running.
 */
export async function cpuSeconds(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start at the state, field 3; utime and stime are 14, 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux everywhere that matters). */
const CLOCK_TICKS = 100;

/** The median of numbers. */
export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** A one-line description of this machine and the Node running the benchmark (and its servers), for the results. */
export function machine() {
  // The load average says how busy the (shared) machine was when the run started.
  const load = loadavg().map((n) => n.toFixed(1)).join(' ');
  return `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version} (${process.platform}-${process.arch}), load average ${load} at start`;
}
