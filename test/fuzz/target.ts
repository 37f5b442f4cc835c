import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { Hub } from '../../src/core/hub.js';
import { createSecretBox } from '../../src/core/secret-box.js';
import { createWeChatFetcher } from '../../src/core/token-fetcher.js';
import { createServer } from '../../src/server/index.js';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import { openStore } from '../../src/stores/open-store.js';
import type { Store } from '../../src/stores/store.js';
import { startUpstreamStub, type UpstreamStub } from '../server/upstream-stub.js';

/** The two apps whose tokens the fuzz tries to obtain without the right credential. */
export const APP_STABLE = 'wx00000000000000a1';
export const APP_CLASSIC = 'wx00000000000000b2';
/** Apps the fuzz may add, change and remove through the admin API (WeChat does not know them). */
export const FUZZ_APPS = ['wx00000000000000f1', 'wx00000000000000f2'] as const;
export const SECRET_STABLE = 'fuzz-secret-stable-5d1c9e3a7b';
export const SECRET_CLASSIC = 'fuzz-secret-classic-8a2f6c0e4d';
export const ADMIN_KEY = 'fuzz-admin-9c3e7a1f5b2d8e4a6c0f3b7d';
export const METRICS_KEY = 'fuzz-metrics-2b8d4f6a0c9e1a7c5e3f';
/** Key names the fuzz must not revoke (it may create and revoke others). */
export const KEY_NAMES = { scopedToStable: 'fuzz-stable-only', all: 'fuzz-all' } as const;
/** Where the passthrough forwards: below a base path, so an escape from it is visible. */
export const UPSTREAM_BASE_PATH = '/base';

/** A real hub (memory store, the simulator as WeChat), its HTTP server on loopback, and a passthrough stub. */
export interface FuzzTarget {
  readonly port: number;
  readonly hub: Hub;
  readonly sim: Simulator;
  readonly stub: UpstreamStub;
  readonly server: FastifyInstance;
  /** Client keys: one scoped to APP_STABLE, one to every app. */
  readonly keys: { scopedToStable: string; all: string };
  /** Every credential the fuzz knows, with the apps whose tokens it may see ('*' = all). */
  readonly credentials: ReadonlyArray<{ value: string; covers: readonly string[] | '*' }>;
  close(): Promise<void>;
}

/**
 * Starts the target. WeChat's limits are lifted in the simulator and the hub (force spacing, daily quotas) so that
 * every 5xx the fuzz sees is the hub's doing, not a quota the fuzz legitimately exhausted; authentication
 * throttling is off so the fuzz keeps exercising credential checks from one address (it has its own tests).
 */
export async function startFuzzTarget(): Promise<FuzzTarget> {
  const sim = createSimulator({
    apps: [
      { appid: APP_STABLE, secret: SECRET_STABLE },
      { appid: APP_CLASSIC, secret: SECRET_CLASSIC },
    ],
    forceSpacingSeconds: 0,
    forceDailyLimit: 1e9,
    classicDailyQuota: 1e9,
    stableMinuteQuota: 1e9,
    stableDailyQuota: 1e9,
  });
  const simUrl = await sim.listen({ host: '127.0.0.1', port: 0 });
  const stub = await startUpstreamStub();
  let store: Store | undefined;
  let hub: Hub | undefined;
  try {
    store = await openStore('memory:', {});
    hub = new Hub({
      store,
      secrets: createSecretBox(Buffer.alloc(32, 9)),
      fetcher: createWeChatFetcher({ baseUrl: simUrl, timeoutMs: 2_000 }),
      forceSpacingMs: 0,
      forceDailyLimit: 1e9,
    });
    await hub.start();
    await hub.putApp(APP_STABLE, { secret: SECRET_STABLE, grant: 'stable' });
    await hub.putApp(APP_CLASSIC, { secret: SECRET_CLASSIC, grant: 'classic' });
    const keys = {
      scopedToStable: await hub.createClientKey(KEY_NAMES.scopedToStable, [APP_STABLE]),
      all: await hub.createClientKey(KEY_NAMES.all, ['*']),
    };
    await hub.getAccessToken(APP_STABLE);
    await hub.getAccessToken(APP_CLASSIC);
    const server = createServer({
      service: hub,
      events: hub.events,
      adminKey: ADMIN_KEY,
      metricsKey: METRICS_KEY,
      upstreamBaseUrl: `${stub.baseUrl}${UPSTREAM_BASE_PATH}`,
      upstreamTimeoutMs: 2_000,
      authFailureLimit: 0,
      requestTimeoutMs: 3_000,
      headersTimeoutMs: 2_000,
      maxConnections: 256,
    });
    await server.listen({ host: '127.0.0.1', port: 0 });
    const port = (server.server.address() as AddressInfo).port;
    const started = { store, hub };
    return {
      port,
      hub,
      sim,
      stub,
      server,
      keys,
      credentials: [
        { value: keys.scopedToStable, covers: [APP_STABLE] },
        { value: keys.all, covers: '*' },
        { value: ADMIN_KEY, covers: '*' },
        { value: METRICS_KEY, covers: [] },
        { value: SECRET_STABLE, covers: [APP_STABLE] },
        { value: SECRET_CLASSIC, covers: [APP_CLASSIC] },
      ],
      async close() {
        await server.close();
        await started.hub.stop();
        await started.store.close();
        await stub.close();
        await sim.close();
      },
    };
  } catch (err) {
    await hub?.stop().catch(() => {});
    await store?.close().catch(() => {});
    await stub.close();
    await sim.close();
    throw err;
  }
}
