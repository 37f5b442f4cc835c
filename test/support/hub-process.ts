import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Hub } from '../../src/core/hub.js';
import { createSecretBox } from '../../src/core/secret-box.js';
import { openStore } from '../../src/stores/open-store.js';
import type { Grant } from '../../src/stores/store.js';
import { dropPostgresSchema, dropRedisPrefix, randomRedisPrefix, randomSchema, requirePostgres, requireRedis, SHARED_POSTGRES_URL, SHARED_REDIS_URL, type ServiceStatus } from './services.js';
import { MASTER_KEY } from './stack.js';

/**
 * Hub processes of the built CLI (`node bin/wxtoken.js serve`), for end-to-end tests of several instances: spawn,
 * SIGTERM, kill -9, and what each one printed, so a failing assertion can show why.
 */

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The CLI entry point the tests run. */
export const CLI = `${ROOT}bin/wxtoken.js`;
/** What `npm run build` produces and bin/wxtoken.js imports. */
export const CLI_MAIN = `${ROOT}dist/cli/main.js`;
/** The master key every instance of a test fleet shares (the same one test/support/stack.ts seals with). */
export const MASTER_KEY_HEX = MASTER_KEY.toString('hex');

/** A process that never printed its address by then is not going to. */
const START_TIMEOUT_MS = 20_000;
/** SIGTERM drains requests and closes the store; past this, the test stops waiting and kills. */
const STOP_TIMEOUT_MS = 5_000;
/** Enough of a process's stderr to explain a failure without flooding the report. */
const OUTPUT_TAIL_CHARS = 4_000;

/** Throws a clear error unless `npm run build` has produced dist/ (the processes run the built CLI). */
export function assertBuilt(): void {
  if (!existsSync(CLI_MAIN)) {
    throw new Error(`${CLI_MAIN} is missing: these tests run the built CLI; run \`npm run build\` first (npm test does)`);
  }
}

/** `wxtoken serve` tuning, in seconds as the flags take them. */
export interface HubFlags {
  refreshLead?: number;
  serveMargin?: number;
  leaseTtl?: number;
  referenceLifetime?: number;
  /** Default `warn`: the outage log lines are warnings, request noise is not. */
  logLevel?: string;
}

/** What to run: the store every instance shares and the (simulated) WeChat it calls. */
export interface HubProcessOptions extends HubFlags {
  storeUrl: string;
  upstream: string;
  /** Extra environment; WXTOKEN_MASTER_KEY defaults to MASTER_KEY_HEX. */
  env?: Record<string, string>;
  /** A label for failure messages, e.g. `A`. */
  name?: string;
  /** More `serve` arguments, e.g. `['--alert-webhook', url]`. */
  extraArgs?: readonly string[];
  /** Options for node itself, before the script (V8 flags NODE_OPTIONS does not allow). */
  nodeArgs?: readonly string[];
}

/** One running `wxtoken serve`. */
export class HubProcess {
  readonly name: string;
  readonly url: string;
  readonly child: ChildProcess;
  readonly #output: { stdout: string; stderr: string };
  readonly #exited: Promise<void>;

  constructor(name: string, url: string, child: ChildProcess, output: { stdout: string; stderr: string }, exited: Promise<void>) {
    this.name = name;
    this.url = url;
    this.child = child;
    this.#output = output;
    this.#exited = exited;
  }

  /** The process id. */
  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Whether the process is still running. */
  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Everything the process wrote to stderr so far (its pino log). */
  get stderr(): string {
    return this.#output.stderr;
  }

  /** Everything the process wrote to stdout so far. */
  get stdout(): string {
    return this.#output.stdout;
  }

  /** kill -9: no shutdown, no lease release, connections dropped mid-request. Resolves once it is gone. */
  async kill(): Promise<void> {
    if (this.alive) this.child.kill('SIGKILL');
    await this.#exited;
  }

  /** SIGTERM (graceful: drain, stop, close the store), then SIGKILL if it lingers. */
  async stop(): Promise<void> {
    if (!this.alive) return this.#exited;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await this.#exited;
    clearTimeout(timer);
  }

  /** Name, pid, state and the tail of stderr, for assertion messages. */
  describe(): string {
    const state = this.alive ? 'running' : `exited (code ${String(this.child.exitCode)}, signal ${String(this.child.signalCode)})`;
    return `hub ${this.name} pid ${this.pid} ${this.url} ${state}\n--- stderr (tail) ---\n${this.stderr.slice(-OUTPUT_TAIL_CHARS)}`;
  }
}

/** Builds the `wxtoken serve` argument list. */
export function serveArgs(options: HubProcessOptions): string[] {
  const args = [CLI, 'serve', '--listen', '127.0.0.1:0', '--store', options.storeUrl, '--upstream', options.upstream, '--wecom-upstream', options.upstream, '--log-level', options.logLevel ?? 'warn'];
  const flags: Array<[string, number | undefined]> = [
    ['--refresh-lead', options.refreshLead],
    ['--serve-margin', options.serveMargin],
    ['--lease-ttl', options.leaseTtl],
    ['--reference-lifetime', options.referenceLifetime],
  ];
  for (const [flag, value] of flags) if (value !== undefined) args.push(flag, String(value));
  return [...args, ...(options.extraArgs ?? [])];
}

/** Starts `wxtoken serve` on 127.0.0.1:0 and resolves once it prints the address it listens on. */
export function spawnHub(options: HubProcessOptions): Promise<HubProcess> {
  assertBuilt();
  const name = options.name ?? 'hub';
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...serveArgs(options)], {
    env: { ...process.env, WXTOKEN_MASTER_KEY: MASTER_KEY_HEX, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output.stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output.stderr += chunk));
  return new Promise<HubProcess>((resolve, reject) => {
    const fail = (why: string): void => {
      cleanup();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      reject(new Error(`hub ${name} ${why}\n--- stdout ---\n${output.stdout}\n--- stderr ---\n${output.stderr.slice(-OUTPUT_TAIL_CHARS)}`));
    };
    const onData = (): void => {
      const match = /wxtoken hub listening on (http:\/\/[\d.]+:\d+)/.exec(output.stdout);
      if (!match) return;
      cleanup();
      resolve(new HubProcess(name, match[1]!, child, output, exited));
    };
    const onExit = (code: number | null, signal: string | null): void => fail(`exited before listening (code ${String(code)}, signal ${String(signal)})`);
    const timer = setTimeout(() => fail(`printed no address within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
    };
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
  });
}

/**
 * The hub processes one test file started; `stopAll` in afterEach/afterAll kills whatever is left, and an exit
 * hook kills them if the test worker itself dies, so no hub outlives its test.
 */
export class HubFleet {
  readonly #procs: HubProcess[] = [];
  readonly #onExit = (): void => {
    for (const p of this.#procs) if (p.alive) p.child.kill('SIGKILL');
  };

  constructor() {
    process.once('exit', this.#onExit);
  }

  /** Starts `count` instances (named A, B, C…) on one store, in parallel. */
  async start(count: number, options: HubProcessOptions): Promise<HubProcess[]> {
    const started = await Promise.allSettled(
      Array.from({ length: count }, (_, i) => spawnHub({ ...options, name: String.fromCharCode(65 + (this.#procs.length + i)) })),
    );
    for (const s of started) if (s.status === 'fulfilled') this.#procs.push(s.value);
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    return started.map((s) => (s as PromiseFulfilledResult<HubProcess>).value);
  }

  /** Every instance started so far (dead ones included). */
  get all(): readonly HubProcess[] {
    return this.#procs;
  }

  /** Every instance's description, for assertion messages. */
  describe(): string {
    return this.#procs.map((p) => p.describe()).join('\n\n');
  }

  /** kill -9 of everything still running (tests end without waiting for graceful shutdowns). */
  async stopAll(): Promise<void> {
    const procs = this.#procs.splice(0);
    await Promise.all(procs.map((p) => p.kill()));
  }

  /** Removes the exit hook; call from afterAll. */
  dispose(): void {
    process.off('exit', this.#onExit);
  }
}

/** What seedStore registers. */
export interface Seed {
  appid: string;
  secret: string;
  grant: Grant;
  /** Client key name; the key is returned. */
  keyName?: string;
}

const neverFetches = (): Promise<never> => Promise.reject(new Error('the seeding hub never fetches'));

/**
 * Registers an app (secret sealed with MASTER_KEY) and a client key for it directly in the store, the way
 * `wxtoken app add` and `wxtoken key create` do, without two CLI processes. Returns the client key.
 */
export async function seedStore(storeUrl: string, seed: Seed): Promise<string> {
  const store = await openStore(storeUrl, {});
  try {
    const hub = new Hub({
      store,
      secrets: createSecretBox(MASTER_KEY),
      fetcher: {
        fetchToken: neverFetches,
        fetchTicket: neverFetches,
        fetchWeComToken: neverFetches,
        fetchWeComTicket: neverFetches,
      },
      prefetch: false,
    });
    await hub.putApp(seed.appid, { secret: seed.secret, grant: seed.grant });
    const key = await hub.createClientKey(seed.keyName ?? 'cluster-test', [seed.appid]);
    await hub.stop();
    return key;
  } finally {
    await store.close();
  }
}

/** The token an instance serves now, or its error status. */
export async function readToken(hubUrl: string, appid: string, key: string): Promise<{ status: number; token: string | null }> {
  const res = await fetch(`${hubUrl}/v1/apps/${appid}/access-token`, { headers: { authorization: `Bearer ${key}` } });
  const body = (await res.json()) as { access_token?: string };
  return { status: res.status, token: res.status === 200 ? (body.access_token ?? null) : null };
}

/** Reports `token` as rejected by WeChat to an instance; resolves to the token it hands back. */
export async function reportInvalid(hubUrl: string, appid: string, key: string, token: string): Promise<{ status: number; token: string | null }> {
  const res = await fetch(`${hubUrl}/v1/apps/${appid}/access-token/invalidate`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ access_token: token }),
  });
  const body = (await res.json()) as { access_token?: string };
  return { status: res.status, token: res.status === 200 ? (body.access_token ?? null) : null };
}

/** GET /readyz status of an instance (0 when it does not answer). */
export async function readyStatus(hubUrl: string): Promise<number> {
  try {
    const res = await fetch(`${hubUrl}/readyz`, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

/** Polls `probe` every `intervalMs` until it returns true; throws `message()` after `timeoutMs`. Returns the wait. */
export async function waitFor(probe: () => Promise<boolean> | boolean, timeoutMs: number, message: () => string, intervalMs = 25): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await probe()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms: ${message()}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Waits until every instance serves one and the same token; returns it. */
export async function sameTokenEverywhere(hubs: readonly HubProcess[], appid: string, key: string, timeoutMs = 10_000): Promise<string> {
  let last: Array<{ status: number; token: string | null }> = [];
  await waitFor(
    async () => {
      last = await Promise.all(hubs.map((h) => readToken(h.url, appid, key)));
      return last.every((r) => r.status === 200 && r.token === last[0]!.token);
    },
    timeoutMs,
    () => `instances disagree: ${JSON.stringify(last)}`,
  );
  return last[0]!.token!;
}

/** What callers saw: hub answers, WeChat's answers to the tokens they were given, and reports they had to make. */
export interface CallerTally {
  /** Successful token reads. */
  reads: number;
  /** Hub answers other than 200, by `status code` (or `unreachable`). */
  hubErrors: Record<string, number>;
  /** WeChat's answers to business calls, `ok` or the errcode (after a report and retry, when enabled). */
  business: Record<string, number>;
  /** Business calls answered 40001/42001 that the caller reported and retried with the hub's replacement. */
  reported: number;
  /** The first few failures with their time and token, for assertion messages. */
  samples: string[];
}

/** Options of startCallers. */
export interface CallerOptions {
  /** Each caller sticks to one instance; callers are spread round-robin. */
  hubs: readonly HubProcess[];
  appid: string;
  key: string;
  /** The simulator, whose business endpoint judges every token. */
  simUrl: string;
  /** Callers per instance; default 2. */
  perHub?: number;
  /** Pause between rounds; default 20 ms. */
  pauseMs?: number;
  /**
   * A caller whose token WeChat rejects reports it to its instance and retries once with the replacement, as the
   * hub's client SDK does; only the retry's answer is tallied. Default false: every rejection counts.
   */
  reportAndRetry?: boolean;
}

const MAX_SAMPLES = 10;

/**
 * Callers that read a token from their instance and use it on a business endpoint (`/cgi-bin/getcallbackip`),
 * in a loop until stopped. `stop()` resolves to the tally.
 */
export function startCallers(options: CallerOptions): { stop(): Promise<CallerTally> } {
  const tally: CallerTally = { reads: 0, hubErrors: {}, business: {}, reported: 0, samples: [] };
  const perHub = options.perHub ?? 2;
  const pauseMs = options.pauseMs ?? 20;
  let stopped = false;
  const bump = (counts: Record<string, number>, key: string, detail?: string): void => {
    counts[key] = (counts[key] ?? 0) + 1;
    if (detail && tally.samples.length < MAX_SAMPLES) tally.samples.push(`${new Date().toISOString()} ${key} ${detail}`);
  };
  const business = async (token: string): Promise<number | 'ok'> => {
    const res = await fetch(`${options.simUrl}/cgi-bin/getcallbackip?access_token=${encodeURIComponent(token)}`);
    const body = (await res.json()) as { errcode?: number };
    return body.errcode ? body.errcode : 'ok';
  };
  const loop = async (hub: HubProcess): Promise<void> => {
    while (!stopped) {
      try {
        const read = await readToken(hub.url, options.appid, options.key);
        if (read.status !== 200 || !read.token) {
          bump(tally.hubErrors, String(read.status), `from hub ${hub.name}`);
        } else {
          tally.reads++;
          let outcome = await business(read.token);
          if ((outcome === 40001 || outcome === 42001) && options.reportAndRetry) {
            tally.reported++;
            const replaced = await reportInvalid(hub.url, options.appid, options.key, read.token);
            if (replaced.status !== 200 || !replaced.token) {
              bump(tally.hubErrors, `invalidate-${replaced.status}`, `from hub ${hub.name}`);
              continue;
            }
            outcome = await business(replaced.token);
          }
          bump(tally.business, String(outcome), outcome === 'ok' ? undefined : `token ${read.token.slice(0, 12)}… from hub ${hub.name}`);
        }
      } catch (err) {
        if (!stopped) bump(tally.hubErrors, 'unreachable', `hub ${hub.name}: ${String(err)}`);
      }
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  };
  const running = Promise.all(options.hubs.flatMap((hub) => Array.from({ length: perHub }, () => loop(hub))));
  return {
    async stop() {
      stopped = true;
      await running;
      return tally;
    },
  };
}

/** A shared distributed store the cluster tests run on, each test in a namespace of its own. */
export interface DistributedStore {
  readonly name: 'Redis' | 'PostgreSQL';
  /** Probes the server once (memoized): tests skip when it is unreachable outside CI, and fail under CI=true. */
  status(): Promise<ServiceStatus>;
  /** A store URL on a fresh key prefix / schema, and the cleanup that deletes it. */
  isolatedUrl(): Promise<{ url: string; cleanup: () => Promise<void> }>;
}

/** The shared Redis and PostgreSQL (test/support/services.ts), as DistributedStores. */
export function distributedStores(): DistributedStore[] {
  const memo = <T>(make: () => Promise<T>): (() => Promise<T>) => {
    let value: Promise<T> | undefined;
    return () => (value ??= make());
  };
  return [
    {
      name: 'Redis',
      status: memo(() => requireRedis()),
      async isolatedUrl() {
        const prefix = randomRedisPrefix();
        return { url: `${SHARED_REDIS_URL}?prefix=${encodeURIComponent(prefix)}`, cleanup: () => dropRedisPrefix(SHARED_REDIS_URL, prefix) };
      },
    },
    {
      name: 'PostgreSQL',
      status: memo(() => requirePostgres()),
      async isolatedUrl() {
        const schema = randomSchema();
        return { url: `${SHARED_POSTGRES_URL}?schema=${schema}`, cleanup: () => dropPostgresSchema(SHARED_POSTGRES_URL, schema) };
      },
    },
  ];
}

/**
 * Skips the running test when the store's server is unreachable outside CI; throws (failing it) under CI=true.
 * `skip` is the test context's skip, which does not return.
 */
export async function requireStore(store: DistributedStore, skip: (note?: string) => never): Promise<void> {
  const status = await store.status();
  if (status.skip) skip(`${status.name} is not reachable at ${status.url}`);
  status.assertAvailable();
}
