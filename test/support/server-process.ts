/** What the throwaway-server helpers (redis-server.ts, postgres-server.ts) share: ports, binaries, start-up waits. */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';

/** A running (or stopped) throwaway server for outage tests. */
export interface ThrowawayServer {
  /** Its connection URL; the same across restarts. */
  readonly url: string;
  readonly port: number;
  /** Whether it is currently running. */
  readonly running: boolean;
  /** Stops it gracefully and waits. */
  stop(): Promise<void>;
  /** Stops it abruptly, as a crash or a lost machine would. */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory, and waits until it answers. */
  start(): Promise<void>;
  /** Stops it if running and removes its directory. Idempotent. */
  cleanup(): Promise<void>;
}

/** Runs the first start-up; if it fails, runs `undo`, removes the server's directory `dir` and rethrows. */
export async function firstStart(dir: string, start: () => Promise<void>, undo: () => Promise<void> = async () => {}): Promise<void> {
  try {
    await start();
  } catch (error) {
    await undo();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** The absolute path of `command` on PATH, or null when there is none. */
export function findOnPath(command: string): string | null {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
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

/**
 * Retries `probe` every `intervalMs` until it resolves; rethrows its last error once `timeoutMs` has passed or
 * `gaveUp()` says waiting is pointless (e.g. the process already exited).
 */
export async function waitUntilAnswers(
  probe: () => Promise<unknown>,
  timeoutMs: number,
  intervalMs: number,
  gaveUp: () => boolean = () => false,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      await probe();
      return;
    } catch (error) {
      if (gaveUp() || performance.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}
