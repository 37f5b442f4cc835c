// Shared by the healing tests: real hubs (core + HTTP server, in process) over a real store and the WeChat
// simulator, three unchanged SDKs pointed at a hub by base URL, and a hard rotation from elsewhere.
import CoWechatApi from 'co-wechat-api';
import WechatApi from 'wechat-api';
import { OfficialAccount } from 'node-easywechat';
import type { FastifyInstance } from 'fastify';
import { Hub } from '../../src/core/hub.js';
import { createSecretBox } from '../../src/core/secret-box.js';
import { createWeChatFetcher } from '../../src/core/token-fetcher.js';
import type { HubEventMap } from '../../src/core/token-service.js';
import { createServer, type ServerOptions } from '../../src/server/index.js';
import { openStore } from '../../src/stores/open-store.js';
import type { Store } from '../../src/stores/store.js';
import { MASTER_KEY } from '../support/stack.js';

/** A hub in this process, the way `wxtoken serve` builds one. */
export interface LiveHub {
  readonly hub: Hub;
  readonly store: Store;
  readonly server: FastifyInstance;
  readonly url: string;
  /** Every access-token refresh this instance made (reason included). */
  readonly refreshes: Array<HubEventMap['refreshed'][0]>;
  close(): Promise<void>;
}

/** Starts a hub over `storeUrl` calling `upstream`; `server` options go to createServer. */
export async function startLiveHub(storeUrl: string, upstream: string, server: Partial<ServerOptions> = {}): Promise<LiveHub> {
  const store = await openStore(storeUrl, {});
  const hub = new Hub({
    store,
    secrets: createSecretBox(MASTER_KEY),
    fetcher: createWeChatFetcher({ baseUrl: upstream, timeoutMs: 2_000 }),
    healthCheckMs: 3_600_000,
  });
  const refreshes: LiveHub['refreshes'] = [];
  hub.events.on('refreshed', (event) => {
    if (event.kind === 'access_token') refreshes.push(event);
  });
  await hub.start();
  const app = createServer({ service: hub, events: hub.events, upstreamBaseUrl: upstream, ...server });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    hub,
    store,
    server: app,
    url,
    refreshes,
    async close() {
      await app.close();
      await hub.stop();
      await store.close();
    },
  };
}

/** Another system fetches the token twice with the secret: the hub's token is dead at once (40001). */
export async function hardRotation(simUrl: string, appid: string): Promise<void> {
  for (let i = 0; i < 2; i++) {
    const res = await fetch(`${simUrl}/__sim/apps/${appid}/rotate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant: 'classic' }) });
    if (res.status !== 200) throw new Error(`rotation failed: HTTP ${res.status}`);
  }
}

/** One business call of an SDK instance; rejects when the SDK reports a failure (after its own retry). */
export type BusinessCall = () => Promise<void>;

/** The three SDKs, each configured as its README shows, with only the base URL pointed at the hub. */
export const SDKS: ReadonlyArray<{ name: string; make(hubUrl: string, appid: string, secret: string): BusinessCall }> = [
  {
    name: 'co-wechat-api',
    make(hubUrl, appid, secret) {
      const api = new CoWechatApi(appid, secret);
      api.prefix = `${hubUrl}/cgi-bin/`;
      return async () => {
        const ip = await api.getIp();
        if (!Array.isArray(ip.ip_list)) throw new Error('no ip_list');
      };
    },
  },
  {
    name: 'wechat-api',
    make(hubUrl, appid, secret) {
      const api = new WechatApi(appid, secret);
      api.endpoint = hubUrl;
      return () =>
        new Promise<void>((resolve, reject) => api.getIp((err, r) => (err ? reject(err) : Array.isArray(r?.ip_list) ? resolve() : reject(new Error('no ip_list')))));
    },
  },
  {
    name: 'node-easywechat',
    make(hubUrl, appid, secret) {
      const app = new OfficialAccount({ app_id: appid, secret, http: { baseURL: `${hubUrl}/` } });
      app.setCache(new MemoryCache());
      const client = app.getClient();
      return async () => {
        const res = await client.get('cgi-bin/getcallbackip');
        const body = res.toObject() as { ip_list?: unknown };
        if (!Array.isArray(body.ip_list)) throw new Error(`no ip_list: ${JSON.stringify(body)}`);
      };
    },
  },
];

/** node-easywechat's cache contract in memory (its default writes files), honouring the lifetime it is given. */
class MemoryCache {
  readonly #entries = new Map<string, { data: unknown; until: number }>();
  async get(key: string): Promise<unknown> {
    const entry = this.#entries.get(key);
    return entry && Date.now() < entry.until ? entry.data : null;
  }
  async has(key: string): Promise<boolean> {
    return (await this.get(key)) !== null;
  }
  async set(key: string, data?: unknown, lifetime = 0): Promise<boolean> {
    this.#entries.set(key, { data, until: lifetime > 0 ? Date.now() + lifetime * 1000 : Number.POSITIVE_INFINITY });
    return true;
  }
  async delete(key: string): Promise<boolean> {
    return this.#entries.delete(key);
  }
}

/**
 * Runs `callers` in loops until `stop()` resolves, each waiting for its previous call; counts outcomes. Loops run
 * on the wall clock because the SDKs do; nothing is asserted about time.
 */
export async function runCallers(callers: readonly BusinessCall[], during: () => Promise<void>): Promise<{ ok: number; failed: string[] }> {
  let running = true;
  let ok = 0;
  const failed: string[] = [];
  const loops = callers.map(async (call) => {
    while (running) {
      try {
        await call();
        ok++;
      } catch (err) {
        failed.push(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
      }
    }
  });
  try {
    await during();
  } finally {
    running = false;
    await Promise.all(loops);
  }
  return { ok, failed };
}
