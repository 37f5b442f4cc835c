/**
 * A throwaway redis-server for tests that need to stop, restart or kill Redis (outage tests): its own port, its
 * own temporary directory with an append-only file (so data survives a restart), nothing saved elsewhere.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findOnPath, firstStart, freePort, waitUntilAnswers, type ThrowawayServer } from './server-process.js';
import { probeRedis } from './services.js';

/** How long start-up may take before the test gives up. */
const START_TIMEOUT_MS = 10_000;

/**
 * A running (or stopped) throwaway Redis at `redis://127.0.0.1:<port>/0`. `stop` sends SIGTERM (Redis flushes its
 * append-only file) and waits for the exit; `kill` sends SIGKILL.
 */
export interface RedisServer extends ThrowawayServer {
  /** Freezes it (SIGSTOP): connections stay open but nothing answers, like a hung server. */
  pause(): void;
  /** Unfreezes it (SIGCONT). */
  resume(): void;
}

/** The redis-server binary on PATH, or null when there is none. */
export function findRedisServer(): string | null {
  return findOnPath('redis-server');
}

/** Starts a throwaway redis-server and waits until it answers PING. */
export async function startRedisServer(): Promise<RedisServer> {
  const binary = findRedisServer();
  if (binary === null) throw new Error('redis-server is not installed (apt-get install redis-server)');
  const dir = mkdtempSync(join(tmpdir(), 'wxtoken-redis-'));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}/0`;
  let child: ChildProcess | undefined;
  let cleaned = false;

  const waitForExit = (proc: ChildProcess): Promise<void> =>
    proc.exitCode !== null || proc.signalCode !== null ? Promise.resolve() : new Promise((resolve) => proc.once('exit', () => resolve()));

  async function start(): Promise<void> {
    if (child) return;
    const proc = spawn(
      binary as string,
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', '', '--daemonize', 'no'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    proc.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    proc.once('exit', () => {
      if (child === proc) child = undefined;
    });
    child = proc;
    try {
      await waitUntilAnswers(() => probeRedis(url, 500), START_TIMEOUT_MS, 25, () => child !== proc);
    } catch (error) {
      proc.kill('SIGKILL');
      throw new Error(`redis-server on port ${port} did not start: ${String(error)} ${stderr}`);
    }
  }

  async function signal(name: NodeJS.Signals): Promise<void> {
    const proc = child;
    if (!proc) return;
    proc.kill(name);
    await waitForExit(proc);
    child = undefined;
  }

  await firstStart(dir, start);

  return {
    url,
    port,
    get running() {
      return child !== undefined;
    },
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
    start,
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    async cleanup() {
      if (cleaned) return;
      cleaned = true;
      child?.kill('SIGCONT');
      await signal('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
