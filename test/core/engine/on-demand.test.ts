import { afterEach, describe, expect, it } from 'vitest';
import { CredentialEngine } from '../../../src/core/engine/credential-engine.js';
import type { CredentialKind } from '../../../src/core/kinds/kind.js';
import type { PrincipalRecord, Store } from '../../../src/stores/store.js';
import { ManualClock } from '../../../src/util/clock.js';
import { silentLogger } from '../../../src/util/logger.js';
import { createTestStore } from '../../support/test-store.js';

const LIFE = 7_200_000;
const T0 = Date.UTC(2026, 5, 1, 2, 0, 0);

/** A kind refreshed only while used, whose upstream hands out a new value per call and counts calls per principal. */
function countingKind(clock: ManualClock, idleAfterLifetimes: number | null): CredentialKind & { calls: Map<string, number> } {
  const calls = new Map<string, number>();
  return {
    name: 'authorizer_token',
    principalType: 'authorizer',
    eager: false,
    ...(idleAfterLifetimes !== null && { idleAfterLifetimes }),
    calls,
    async obtain({ principal }) {
      const n = (calls.get(principal.id) ?? 0) + 1;
      calls.set(principal.id, n);
      return { token: `${principal.id}#${n}`, expiresAt: clock.now() + LIFE, obtainedAt: clock.now(), state: null };
    },
  };
}

const principal = (i: number): PrincipalRecord => ({ id: `component:wxc0000000000000c1/wxa${String(i).padStart(15, '0')}`, type: 'authorizer', attributes: {}, secrets: {}, createdAt: T0, updatedAt: T0 });

describe('engine: kinds refreshed only while used', () => {
  const engines: CredentialEngine[] = [];
  afterEach(async () => {
    for (const e of engines.splice(0)) await e.stop();
  });

  // Idle after one lifetime unused unless said otherwise: the shortest window, which shows the rule's edges.
  async function setup(idleAfterLifetimes: number | null = 1): Promise<{ clock: ManualClock; store: Store; engine: CredentialEngine; kind: ReturnType<typeof countingKind> }> {
    const clock = new ManualClock(T0);
    const store = await createTestStore(clock);
    const kind = countingKind(clock, idleAfterLifetimes);
    const engine = new CredentialEngine({ store, kinds: [kind], openSecret: () => '', clock, random: () => 0.5, logger: silentLogger, instanceId: 'a' });
    engines.push(engine);
    return { clock, store, engine, kind };
  }

  const key = (i: number): string => `${principal(i).id}:authorizer_token`;

  it('refreshes a credential in use before expiry; an idle one once after its last use (its caller may hold the value), then never until a caller asks', async () => {
    const { clock, engine, kind } = await setup();
    for (let i = 0; i < 4; i++) engine.track(kind, principal(i), null);
    for (let i = 0; i < 4; i++) await engine.get(key(i));
    // Three lifetimes in steps of a tenth; principals 0 and 1 are used at every step, 2 and 3 never again.
    for (let step = 0; step < 30; step++) {
      await clock.advance(LIFE / 10);
      for (const i of [0, 1]) {
        const issued = await engine.get(key(i));
        expect(issued.expiresAt).toBeGreaterThan(clock.now());
      }
    }
    expect([0, 1].map((i) => kind.calls.get(principal(i).id))).toEqual([4, 4]);
    // Idle: the first fetch and the refresh of the value last served, nothing after; the admin state says so.
    expect([2, 3].map((i) => kind.calls.get(principal(i).id))).toEqual([2, 2]);
    const states = new Map(engine.states().map((s) => [s.key, s]));
    expect(states.get(key(2))).toMatchObject({ state: 'idle', nextAttemptAt: null });
    expect(states.get(key(0))).toMatchObject({ state: 'ok' });
    // A caller comes back: 50 concurrent reads share one fetch.
    const again = await Promise.all(Array.from({ length: 50 }, () => engine.get(key(2))));
    expect(new Set(again.map((t) => t.token))).toEqual(new Set([`${principal(2).id}#3`]));
    expect(kind.calls.get(principal(2).id)).toBe(3);
    // …and being in use again, it is refreshed before its next expiry without anyone asking.
    await clock.advance(LIFE);
    expect(kind.calls.get(principal(2).id)).toBe(4);
    expect(engine.peek(key(2))).toBeDefined();
  });

  it('rearms the refresh when a caller takes the value after its due time passed idle, before it ran out', async () => {
    const { clock, engine, kind } = await setup();
    engine.track(kind, principal(0), null);
    await engine.get(key(0));
    // The value served is refreshed 180 s (the lead) before it ends; its successor is never served.
    await clock.advance(LIFE);
    expect(kind.calls.get(principal(0).id)).toBe(2);
    // Past the successor's due time nothing is fetched: no caller took it.
    await clock.advance(LIFE - 300_000);
    expect(kind.calls.get(principal(0).id)).toBe(2);
    // Taken while still servable (the serve margin is 30 s): the refresh runs now, so the next caller does not wait.
    const late = await engine.get(key(0));
    expect(late.token).toBe(`${principal(0).id}#2`);
    await clock.advance(10);
    expect(kind.calls.get(principal(0).id)).toBe(3);
    expect(engine.peek(key(0))?.token).toBe(`${principal(0).id}#3`);
  });

  it('with a 12-lifetime window (24 h of 2 h tokens), refreshes for 24 h after the last use, then stops', async () => {
    const { clock, engine, kind } = await setup(12);
    engine.track(kind, principal(0), null);
    await engine.get(key(0));
    await clock.advance(20 * LIFE);
    // The first fetch and one refresh per lifetime while the last use is within 12 lifetimes; none after.
    expect(kind.calls.get(principal(0).id)).toBe(13);
    expect(engine.states()[0]).toMatchObject({ state: 'idle', nextAttemptAt: null });
  });

  it('keeps refreshing every tracked credential of a kind without the flag, used or not', async () => {
    const { clock, engine, kind } = await setup(null);
    engine.track(kind, principal(0), null);
    await engine.get(key(0));
    await clock.advance(3 * LIFE);
    expect(kind.calls.get(principal(0).id)).toBe(4);
    expect(engine.states()[0]).toMatchObject({ state: 'ok' });
  });
});
