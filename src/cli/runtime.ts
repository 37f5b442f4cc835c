import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Hub, type HubOptions } from '../core/hub.js';
import type { Logger } from '../util/logger.js';
import { silentLogger } from '../util/logger.js';
import { StoreClock } from '../core/store-clock.js';
import { systemClock, type Clock } from '../util/clock.js';
import { createWeChatFetcher } from '../core/token-fetcher.js';
import { OpsEmitter, type OpsEvents } from '../core/ops-events.js';
import { observeStore } from '../stores/observed-store.js';
import { timedFetch } from '../wechat/timed-fetch.js';
import { createSealer } from '../core/sealer.js';
import { loadMasterKey } from '../core/master-key.js';
import { DEFAULT_STORE_URL, openStore, parseStoreUrl } from '../stores/open-store.js';
import { SealingStore } from '../stores/sealing-store.js';
import type { Store } from '../stores/store.js';
import { DEFAULT_WECHAT_BASE_URL, DEFAULT_WECOM_BASE_URL } from '../wechat/index.js';
import type { CliContext } from './context.js';
import { UsageError } from './context.js';

/** The store URL from the flag, else WXTOKEN_STORE, else the embedded default. */
export function resolveStoreUrl(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return flag ?? env['WXTOKEN_STORE'] ?? DEFAULT_STORE_URL;
}

/** The WeChat API base URL from the flag, else WXTOKEN_UPSTREAM, else WeChat's own. */
export function resolveUpstream(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return baseUrl(flag ?? env['WXTOKEN_UPSTREAM'] ?? DEFAULT_WECHAT_BASE_URL, 'upstream');
}

/** The WeCom API base URL from the flag, else WXTOKEN_WECOM_UPSTREAM, else WeCom's own. */
export function resolveWecomUpstream(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return baseUrl(flag ?? env['WXTOKEN_WECOM_UPSTREAM'] ?? DEFAULT_WECOM_BASE_URL, 'WeCom upstream');
}

function baseUrl(url: string, what: string): string {
  if (!/^https?:\/\/[^/]+/.test(url)) throw new UsageError(`invalid ${what} URL ${JSON.stringify(url)}: expected http(s)://host[:port]`);
  return url.replace(/\/+$/, '');
}

/** A hub wired to its store, master key and WeChat; `close` undoes everything `openHub` did. */
export interface HubRuntime {
  readonly hub: Hub;
  readonly store: Store;
  /** The hub's clock (aligned on the store's for Redis/PostgreSQL): anything reporting expiry must use it. */
  readonly clock: Clock;
  /** Upstream call timings and store errors, for metrics. */
  readonly ops: OpsEvents;
  close(): Promise<void>;
}

/** Options of openHub beyond the store URL. */
export interface OpenHubOptions {
  storeUrl: string;
  upstream: string;
  /** WeCom's API base URL; default WeCom's own. */
  wecomUpstream?: string;
  logger?: Logger;
  /** Background work (prefetch, refresh timers) only makes sense in a long-running process. */
  background: boolean;
  /** Extra hub tuning, e.g. from tests or the demo. */
  tuning?: Partial<HubOptions>;
}

/**
 * Opens the store, loads (or creates) the master key and builds a started Hub. Distributed stores get a clock
 * aligned on the store's, so instances with skewed clocks agree on expiry.
 */
export async function openHub(ctx: CliContext, options: OpenHubOptions): Promise<HubRuntime> {
  const logger = options.logger ?? silentLogger;
  const master = await loadMasterKey({ env: ctx.env, storeUrl: options.storeUrl });
  for (const warning of master.warnings) ctx.stderr.write(`wxtoken: warning: ${warning}\n`);
  if (master.source === 'created') {
    ctx.stderr.write(`wxtoken: created a new master key at ${master.path} (mode 0600); back it up, or set WXTOKEN_MASTER_KEY\n`);
  }
  const sealer = createSealer({ current: master.key, previous: master.previous });
  // Tokens and tickets are sealed at rest like secrets (issue 13, finding 8); the engine only sees plaintext.
  const ops = new OpsEmitter();
  const opened = observeStore(await openStore(options.storeUrl, { logger }), (operation) => ops.emit('store_error', { operation }));
  const store = new SealingStore(opened, sealer);
  let storeClock: StoreClock | undefined;
  try {
    if (store.time) {
      const time = store.time.bind(store);
      storeClock = new StoreClock(systemClock, time);
      if (options.background) await storeClock.start();
      else await storeClock.sync();
    }
    const clock = storeClock ?? systemClock;
    const hub = new Hub({
      store,
      secrets: sealer,
      fetcher: createWeChatFetcher({ baseUrl: options.upstream, wecomBaseUrl: options.wecomUpstream ?? DEFAULT_WECOM_BASE_URL, clock, fetch: timedFetch((...args) => globalThis.fetch(...args), clock, (call) => ops.emit('upstream_call', call)) }),
      clock,
      logger,
      instanceId: randomUUID(),
      background: options.background,
      ...options.tuning,
    });
    try {
      await hub.start();
    } catch (err) {
      await hub.stop();
      throw err;
    }
    return {
      hub,
      store,
      clock,
      ops,
      async close() {
        await hub.stop();
        storeClock?.stop();
        await store.close();
      },
    };
  } catch (err) {
    storeClock?.stop();
    await store.close().catch(() => {});
    throw err;
  }
}

/**
 * Runs a short management command against the store (no background refreshes) and always closes what it opened.
 * `upstream` is only needed by commands that may call WeChat. `existingStore`: the command only reads or changes
 * what is there (listing, removing, reading a token), so a store that does not exist is an error rather than
 * something to create (a mistyped path must not leave a new database and master key behind).
 */
export async function withHub<T>(
  ctx: CliContext,
  flags: { store?: string | undefined; upstream?: string | undefined; wecomUpstream?: string | undefined },
  run: (runtime: HubRuntime) => Promise<T>,
  options: { existingStore?: boolean } = {},
): Promise<T> {
  const storeUrl = resolveStoreUrl(flags.store, ctx.env);
  if (options.existingStore) assertStoreExists(storeUrl);
  const runtime = await openHub(ctx, {
    storeUrl,
    upstream: resolveUpstream(flags.upstream, ctx.env),
    wecomUpstream: resolveWecomUpstream(flags.wecomUpstream, ctx.env),
    background: false,
  });
  try {
    return await run(runtime);
  } finally {
    await runtime.close();
  }
}

/**
 * Throws unless the store a URL names exists. Only an SQLite file can be missing (opening one creates it, and its
 * master key file beside it); memory, Redis and PostgreSQL stores always "exist".
 */
export function assertStoreExists(storeUrl: string): void {
  const location = parseStoreUrl(storeUrl);
  if (location.kind === 'sqlite' && !existsSync(location.path)) {
    throw new Error(
      `store ${location.description} does not exist (no such file); check --store or WXTOKEN_STORE (a new store is created by \`wxtoken app add\` or \`wxtoken serve\`)`,
    );
  }
}

/** Parses `HOST:PORT` (IPv6 as `[::1]:PORT`); port 0 picks a free port. */
export function parseListen(value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value);
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw new UsageError(`invalid listen address ${JSON.stringify(value)}: expected HOST:PORT, e.g. 127.0.0.1:8080`);
  return { host: (match[1] ?? match[2])!, port };
}
