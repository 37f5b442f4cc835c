/**
 * A throwaway PostgreSQL for tests that need to stop, restart or kill the server (outage tests): `initdb` into a
 * temporary directory, `pg_ctl` on a free port with its unix socket in that directory, trust auth for `postgres`.
 * PostgreSQL refuses to run as root, so as root the binaries run as the `postgres` OS user (runuser).
 */
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './redis-server.js';
import { probePostgres } from './services.js';

const run = promisify(execFile);

/** How long start-up may take before the test gives up. */
const START_TIMEOUT_MS = 20_000;

/** A running (or stopped) throwaway PostgreSQL. */
export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`; the same across restarts. */
  readonly url: string;
  readonly port: number;
  readonly running: boolean;
  /** Stops it (pg_ctl stop -m fast: connections are told the server is shutting down) and waits. */
  stop(): Promise<void>;
  /** Stops it abruptly (pg_ctl stop -m immediate), as a crash would. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data directory, and waits until it answers. */
  start(): Promise<void>;
  /** Stops it if running and removes its directory. Idempotent. */
  cleanup(): Promise<void>;
}

/** The directory holding initdb and pg_ctl, or null when PostgreSQL's server binaries are not installed. */
export function findPostgresBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0] !== undefined) return join(root, versions[0], 'bin');
  }
  const found = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  return found.status === 0 && path !== '' ? path.replace(/\/initdb$/, '') : null;
}

/** Initialises and starts a throwaway PostgreSQL, waiting until it answers. */
export async function startPostgresServer(): Promise<PostgresServer> {
  const bin = findPostgresBin();
  if (bin === null) throw new Error('PostgreSQL server binaries (initdb, pg_ctl) are not installed (apt-get install postgresql)');
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'wxtoken-pg-'));
  const data = join(dir, 'data');
  const socket = join(dir, 'socket');
  mkdirSync(socket);
  if (asRoot) {
    const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    if (!Number.isInteger(uid) || uid <= 0) throw new Error('running as root but there is no postgres OS user to run PostgreSQL as');
    chownSync(dir, uid, gid);
    chownSync(socket, uid, gid);
    chmodSync(dir, 0o700);
  }
  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let running = false;
  let cleaned = false;

  /** Runs a PostgreSQL binary, as the postgres user when we are root. */
  const pg = async (tool: string, args: string[]): Promise<void> => {
    const [command, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args];
    try {
      await run(command, argv, { timeout: START_TIMEOUT_MS });
    } catch (error) {
      const e = error as { stderr?: string; stdout?: string; message: string };
      throw new Error(`${tool} failed: ${e.message} ${e.stderr ?? ''} ${e.stdout ?? ''}`);
    }
  };

  const serverOptions = [
    `-p ${port}`,
    `-k ${socket}`,
    '-c listen_addresses=127.0.0.1',
    // A test server: durability is not wanted, speed is.
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
  ].join(' ');

  async function start(): Promise<void> {
    if (running) return;
    await pg('pg_ctl', ['-D', data, '-o', serverOptions, '-l', join(dir, 'server.log'), '-w', '-t', '20', 'start']);
    running = true;
    const deadline = performance.now() + START_TIMEOUT_MS;
    for (;;) {
      try {
        await probePostgres(url, 1_000);
        return;
      } catch (error) {
        if (performance.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  async function stop(mode: 'fast' | 'immediate'): Promise<void> {
    if (!running) return;
    await pg('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '20', 'stop']);
    running = false;
  }

  try {
    await pg('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync', '--no-instructions']);
    await start();
  } catch (error) {
    await stop('immediate').catch(() => {});
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  return {
    url,
    port,
    get running() {
      return running;
    },
    stop: () => stop('fast'),
    kill: () => stop('immediate'),
    start,
    async cleanup() {
      if (cleaned) return;
      cleaned = true;
      await stop('immediate').catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
