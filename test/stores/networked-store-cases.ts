/**
 * Fixtures and outage checks shared by the stores that talk to a server (Redis, PostgreSQL), run against a
 * throwaway server the test can stop, start and kill.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { StoreUnavailableError } from '../../src/errors/index.js';
import type { StoreLogger } from '../../src/stores/outage.js';
import type { CredentialRecord, PrincipalRecord, Store, StoreEvent } from '../../src/stores/store.js';
import type { ThrowawayServer } from '../support/server-process.js';
import { eventually, type ServiceStatus } from '../support/services.js';

/** The fixed instant the records below were created at. */
export const T0 = Date.UTC(2026, 0, 1);

/** An app record for `appid`. */
export const app = (appid: string): PrincipalRecord => ({ id: appid, type: 'app', attributes: { grant: 'stable' }, secrets: { secret: `v1.sealed-${appid}` }, createdAt: T0, updatedAt: T0 });

/** A fresh credential record under `key`. */
export const credential = (key: string, token = 'TOKEN'): CredentialRecord => ({
  key,
  version: 0,
  token,
  expiresAt: T0 + 7_200_000,
  obtainedAt: T0,
  failure: null,
  state: null,
  pending: null,
  invalidations: 0,
});

/** Really waits `ms` (these stores judge time on the server). */
export const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs a throwaway server for the enclosing describe: checks `status` and calls `start` before its tests; after
 * them closes every store pushed onto the returned list and removes the server.
 */
export function useThrowawayServer(status: ServiceStatus, start: () => Promise<ThrowawayServer>): Store[] {
  const stores: Store[] = [];
  let server: ThrowawayServer | undefined;
  beforeAll(async () => {
    status.assertAvailable();
    server = await start();
  });
  afterAll(async () => {
    for (const s of stores) await s.close();
    await server?.cleanup();
  });
  return stores;
}

/** The options the outage checks open stores with; both backends accept them. */
export interface OutageStoreOptions {
  logger?: StoreLogger;
  maxReconnectDelayMs: number;
}

/**
 * Stops `server` under an open store and checks that calls reject quickly, the outage is logged once, and that
 * after a restart the store recovers by itself, events included (a peer's write reaches its listener).
 * Every store `open` returns is pushed onto `stores` for the caller to close.
 */
export async function expectOutageRecovery(
  server: ThrowawayServer,
  open: (options: OutageStoreOptions) => Promise<Store>,
  stores: Store[],
): Promise<void> {
  const warnings: string[] = [];
  const logger = { warn: (_obj: object, msg: string) => warnings.push(msg) };
  // A short backoff cap keeps the test quick; the behaviour is the same with the default.
  const store = await open({ logger, maxReconnectDelayMs: 200 });
  const peer = await open({ maxReconnectDelayMs: 200 });
  stores.push(store, peer);
  const events: StoreEvent[] = [];
  await store.subscribe((e) => events.push(e));
  await store.putPrincipal(app('wx-before'));

  await server.stop();
  for (const call of [() => store.getPrincipal('wx-before'), () => store.putPrincipal(app('wx-during')), () => store.ping()]) {
    const started = performance.now();
    await expect(call()).rejects.toBeInstanceOf(StoreUnavailableError);
    // Refused connections fail at once, not after a command timeout (which bounds a server that hangs).
    expect(performance.now() - started).toBeLessThan(750);
  }
  await expect(store.acquireLease('l', 'a', 1_000)).rejects.toBeInstanceOf(StoreUnavailableError);
  expect(warnings).toEqual([expect.stringMatching(/unreachable/)]);

  await server.start();
  await eventually(async () => expect(await store.getPrincipal('wx-before')).toEqual(app('wx-before')));
  expect(warnings).toEqual([expect.stringMatching(/unreachable/), expect.stringMatching(/reachable again/)]);

  // The event channel (Redis subscriber, PostgreSQL LISTEN connection) came back, and said so once: what was
  // published while it was down is lost, so subscribers are told to re-read everything.
  await eventually(async () => expect(events.filter((e) => e.type === 'resync')).toHaveLength(1));
  await eventually(async () => {
    await peer.putPrincipal(app('wx-after'));
    expect(events).toContainEqual({ type: 'principal', id: 'wx-after' });
  });
}

/** Kills `server` under `store`: calls reject within 2 s, and the store recovers once the server is back. */
export async function expectCrashRecovery(server: ThrowawayServer, store: Store): Promise<void> {
  await server.kill();
  const started = performance.now();
  await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
  expect(performance.now() - started).toBeLessThan(2_000);
  await server.start();
  await eventually(() => store.ping());
}
