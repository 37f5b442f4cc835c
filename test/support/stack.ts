import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Hub, type HubOptions } from '../../src/core/hub.js';
import { createSecretBox } from '../../src/core/secret-box.js';
import { createWeChatFetcher } from '../../src/core/token-fetcher.js';
import { createServer } from '../../src/server/index.js';
import { createSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';
import { openStore } from '../../src/stores/open-store.js';
import type { Store } from '../../src/stores/store.js';

export const APPID = 'wx0123456789abcdef';
export const SECRET = 'simulator-secret-0123456789abcdef';
export const ADMIN_KEY = 'admin-key-for-tests-only-0123456789';
export const MASTER_KEY = Buffer.alloc(32, 7);

/** A simulator on loopback with one app, compressed durations as given. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<{ sim: Simulator; url: string }> {
  const sim = createSimulator({ apps: [{ appid: APPID, secret: SECRET }], ...options });
  const url = await sim.listen({ host: '127.0.0.1', port: 0 });
  return { sim, url };
}

/** A hub (core + HTTP server) on loopback over the given store URL, talking to `upstream`. */
export interface RunningHub {
  hub: Hub;
  store: Store;
  server: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

/** Starts a hub the way `wxtoken serve` does, with test tuning. */
export async function startHub(
  storeUrl: string,
  upstream: string,
  tuning: Partial<HubOptions> & { upstreamTimeoutMs?: number } = {},
): Promise<RunningHub> {
  const store = await openStore(storeUrl, {});
  const { upstreamTimeoutMs = 1_000, ...hubTuning } = tuning;
  const hub = new Hub({
    store,
    secrets: createSecretBox(MASTER_KEY),
    // The simulator serves WeChat's and WeCom's endpoints alike.
    fetcher: createWeChatFetcher({ baseUrl: upstream, wecomBaseUrl: upstream, timeoutMs: upstreamTimeoutMs }),
    ...hubTuning,
  });
  await hub.start();
  const server = createServer({ service: hub, events: hub.events, adminKey: ADMIN_KEY, upstreamBaseUrl: upstream, wecomUpstreamBaseUrl: upstream });
  const url = await server.listen({ host: '127.0.0.1', port: 0 });
  return {
    hub,
    store,
    server,
    url,
    async close() {
      await server.close();
      await hub.stop();
      await store.close();
    },
  };
}

/** A temporary directory removed by the returned cleanup. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'wxtoken-test-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** GETs JSON from the hub with a bearer key. */
export async function getJson(url: string, key?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
