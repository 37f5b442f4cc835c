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
import { findOnPath, firstStart, freePort, waitUntilAnswers, type ThrowawayServer } from './server-process.js';
import { probePostgres } from './services.js';

const run = promisify(execFile);

/** How long start-up may take before the test gives up. */
const START_TIMEOUT_MS = 20_000;

/**
 * A running (or stopped) throwaway PostgreSQL at `postgres://postgres@127.0.0.1:<port>/postgres`. `stop` is
 * pg_ctl stop -m fast (connections are told the server is shutting down); `kill` is -m immediate, as a crash.
 */
export type PostgresServer = ThrowawayServer;

/** The directory holding initdb and pg_ctl, or null when PostgreSQL's server binaries are not installed. */
export function findPostgresBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0] !== undefined) return join(root, versions[0], 'bin');
  }
  return findOnPath('initdb')?.replace(/\/initdb$/, '') ?? null;
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
    await waitUntilAnswers(() => probePostgres(url, 1_000), START_TIMEOUT_MS, 50);
  }

  async function stop(mode: 'fast' | 'immediate'): Promise<void> {
    if (!running) return;
    await pg('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '20', 'stop']);
    running = false;
  }

  await firstStart(
    dir,
    async () => {
      await pg('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync', '--no-instructions']);
      await start();
    },
    () => stop('immediate').catch(() => {}),
  );

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
