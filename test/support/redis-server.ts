/**
 * A throwaway redis-server for tests that need to stop, restart or kill Redis (outage tests): its own port, its
 * own temporary directory with an append-only file (so data survives a restart), nothing saved elsewhere.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeRedis } from './services.js';

/** How long start-up may take before the test gives up. */
const START_TIMEOUT_MS = 10_000;

/** A running (or stopped) throwaway Redis. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>/0`; the same across restarts. */
  readonly url: string;
  readonly port: number;
  /** Whether the process is currently running. */
  readonly running: boolean;
  /** Stops it (SIGTERM: Redis flushes its append-only file) and waits for the exit. */
  stop(): Promise<void>;
  /** Stops it abruptly (SIGKILL), as a crash or a lost machine would. */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory, and waits until it answers. */
  start(): Promise<void>;
  /** Freezes it (SIGSTOP): connections stay open but nothing answers, like a hung server. */
  pause(): void;
  /** Unfreezes it (SIGCONT). */
  resume(): void;
  /** Stops it if running and removes its directory. Idempotent. */
  cleanup(): Promise<void>;
}

/** The redis-server binary on PATH, or null when there is none. */
export function findRedisServer(): string | null {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  return found.status === 0 && path !== '' ? path : null;
}

/** A TCP port free right now on 127.0.0.1 (listen on port 0, read it, close). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
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
    const deadline = performance.now() + START_TIMEOUT_MS;
    for (;;) {
      try {
        await probeRedis(url, 500);
        return;
      } catch (error) {
        if (child !== proc || performance.now() > deadline) {
          proc.kill('SIGKILL');
          throw new Error(`redis-server on port ${port} did not start: ${String(error)} ${stderr}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
  }

  async function signal(name: NodeJS.Signals): Promise<void> {
    const proc = child;
    if (!proc) return;
    proc.kill(name);
    await waitForExit(proc);
    child = undefined;
  }

  try {
    await start();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

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
