// Shared helpers for the benchmarks: child processes that print their URL, autocannon runs, RSS readings.
import { spawn, execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { promisify } from 'node:util';
import autocannon from 'autocannon';

const run = promisify(execFile);
export const ROOT = new URL('..', import.meta.url).pathname;
export const CLI = `${ROOT}bin/wxtoken.js`;

/** Starts `node args…` and resolves once a stdout line matches `pattern` (its first group is returned). */
export function startProcess(args, { env = {}, pattern = /(http:\/\/[\d.:]+)/ } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`timed out starting ${args.join(' ')}\n${out}\n${err}`)), 30_000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = pattern.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1], stop: () => stopProcess(child) });
      }
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited with ${code}\n${out}\n${err}`));
    });
  });
}

/** SIGTERM, then wait for exit. */
export function stopProcess(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
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

/** The median of numbers. */
export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** A one-line description of this machine, for the results. */
export function machine() {
  return `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}
