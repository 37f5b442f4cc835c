import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/util/clock.js';
import { verifyJssdkSignature } from '../../src/wechat/index.js';
import { deferred, FakeFetcher } from '../support/fake-fetcher.js';
import { APP, hubHarness } from '../support/hub-harness.js';
import { createTestStore } from '../support/test-store.js';

const HOUR = 3_600_000;
const LIFE = 2 * HOUR;
const { setup, stopAll } = hubHarness();

afterEach(stopAll);

describe('tickets: obtaining', () => {
  it('answers 500 concurrent first requests with one getticket and one token fetch', async () => {
    const { hub, fetcher } = await setup();
    const gate = deferred();
    fetcher.gate = gate.promise;
    const pending = Promise.all(Array.from({ length: 500 }, () => hub.getTicket(APP, 'jsapi')));
    gate.resolve();
    const tickets = await pending;
    expect(new Set(tickets.map((t) => t.token)).size).toBe(1);
    expect(fetcher.ticketCalls).toHaveLength(1);
    expect(fetcher.count(APP)).toBe(1);
  });

  it('keeps jsapi and wx_card tickets apart', async () => {
    const { hub, fetcher } = await setup();
    const [jsapi, card] = await Promise.all([hub.getTicket(APP, 'jsapi'), hub.getTicket(APP, 'wx_card')]);
    expect(jsapi.token).not.toBe(card.token);
    expect(fetcher.ticketCalls.map((c) => c.type).sort()).toEqual(['jsapi', 'wx_card']);
  });

  it('a 40001 from getticket (the token was rotated elsewhere) costs one token refresh and one more getticket', async () => {
    const { hub, fetcher } = await setup();
    const token = await hub.getAccessToken(APP);
    fetcher.deadTokens.add(token.token);
    const ticket = await hub.getTicket(APP, 'jsapi');
    expect(ticket.token).toMatch(/^tkt-/);
    expect(fetcher.count(APP)).toBe(2);
    expect(fetcher.ticketCalls.map((c) => c.accessToken)).toEqual([token.token, (await hub.getAccessToken(APP)).token]);
  });

  it('a token rotation does not refetch the ticket', async () => {
    const { hub, fetcher } = await setup();
    const ticket = await hub.getTicket(APP, 'jsapi');
    const token = await hub.getAccessToken(APP);
    await hub.invalidate(APP, token.token);
    expect((await hub.getTicket(APP, 'jsapi')).token).toBe(ticket.token);
    expect(fetcher.ticketCalls).toHaveLength(1);
  });

  it('signs a wx.config with the held ticket and never reveals it', async () => {
    const { hub } = await setup();
    const url = 'https://example.com/page?x=1#frag';
    const config = await hub.signJsSdkConfig(APP, url);
    const { token: ticket } = await hub.getTicket(APP, 'jsapi');
    expect(Object.values(config)).not.toContain(ticket);
    expect(verifyJssdkSignature({ ticket, nonceStr: config.nonceStr, timestamp: config.timestamp, url }, config.signature)).toBe(true);
    await expect(hub.signJsSdkConfig(APP, 'javascript:alert(1)')).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(hub.signJsSdkConfig(APP, '/relative')).rejects.toMatchObject({ code: 'invalid_request' });
  });
});

describe('tickets: lifetimes', () => {
  /**
   * Asks for the ticket every `everyMs` for `forMs` without blocking the clock (a caller may wait for a ticket's
   * successor near its end), recording what each caller got, and when.
   */
  async function askEvery(h: Awaited<ReturnType<typeof setup>>, everyMs: number, forMs: number): Promise<Array<{ at: number; token: string; ageKnown: boolean }>> {
    const got: Array<{ at: number; token: string; ageKnown: boolean }> = [];
    for (let t = 0; t < forMs; t += everyMs) {
      void h.hub.getTicket(APP, 'jsapi').then((ticket) => got.push({ at: h.clock.now(), token: ticket.token, ageKnown: ticket.ageKnown }));
      await h.clock.advance(everyMs);
    }
    return got;
  }

  it('after a cold start, vouches for an unknown-age ticket a probe at a time, then makes one getticket per lifetime', async () => {
    const h = await setup({ background: true });
    const start = h.clock.now();
    const first = await h.hub.getTicket(APP, 'jsapi');
    expect(first.ageKnown).toBe(false);
    // Unknown age: never vouched for longer than the probe interval (15 min of a 2 h life).
    expect(first.expiresAt - start).toBeLessThanOrEqual(LIFE / 8);
    const got = await askEvery(h, 60_000, 8 * LIFE);
    expect(got.length).toBeGreaterThan(8 * 110);
    expect(got.some((g) => g.ageKnown)).toBe(true);
    // Steady state: over the last five lifetimes, one call each.
    const late = h.fetcher.ticketCalls.filter((c) => c.at >= start + 3 * LIFE);
    expect(Math.abs(late.length - 5)).toBeLessThanOrEqual(1);
    // The one-time cost of learning a ticket's age: the coarse probes, then close confirmations.
    expect(h.fetcher.ticketCalls.length).toBeLessThan(8 + 1 + 240 / 8 + 8);
  });

  it('never hands out a ticket of known age after WeChat retired it, nor one of unknown age for longer than a probe', async () => {
    const h = await setup({ background: true });
    const issuedAt = new Map<string, number>();
    const original = h.fetcher.fetchTicket.bind(h.fetcher);
    h.fetcher.fetchTicket = async (token, type) => {
      const t = await original(token, type);
      if (!issuedAt.has(t.ticket)) issuedAt.set(t.ticket, h.clock.now());
      return t;
    };
    const got = await askEvery(h, 20_000, 6 * LIFE);
    expect(got.length).toBeGreaterThan(6 * 300);
    for (const g of got) {
      const age = g.at - issuedAt.get(g.token)!;
      if (g.ageKnown) expect(age).toBeLessThan(LIFE);
      else expect(age).toBeLessThan(LIFE + LIFE / 8);
    }
  });

  it('a restarted hub serves the stored ticket with no getticket call', async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1, 2, 0, 0));
    const store = await createTestStore(clock);
    const first = await setup({ clock, store });
    await first.hub.putApp(APP, { secret: 's', grant: 'classic' });
    const ticket = await first.hub.getTicket(APP, 'jsapi');
    await first.hub.stop();
    const fetcher = new FakeFetcher(clock);
    const second = await setup({ clock, store, fetcher });
    expect((await second.hub.getTicket(APP, 'jsapi')).token).toBe(ticket.token);
    expect(fetcher.ticketCalls).toHaveLength(0);
    expect(fetcher.calls).toHaveLength(0);
  });

  it('one getticket per lifetime for two instances sharing a store', async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1, 2, 0, 0));
    const store = await createTestStore(clock);
    const fetcher = new FakeFetcher(clock);
    const a = await setup({ clock, store, fetcher, background: true });
    await a.hub.putApp(APP, { secret: 's', grant: 'classic' });
    const b = await setup({ clock, store, fetcher, background: true });
    const start = clock.now();
    const pairs: Array<Promise<[string, string]>> = [];
    for (let t = 0; t < 8 * LIFE; t += 120_000) {
      pairs.push(Promise.all([a.hub.getTicket(APP, 'jsapi'), b.hub.getTicket(APP, 'jsapi')]).then(([x, y]) => [x.token, y.token]));
      await clock.advance(120_000);
    }
    for (const [x, y] of await Promise.all(pairs)) expect(x).toBe(y);
    const late = fetcher.ticketCalls.filter((c) => c.at >= start + 3 * LIFE);
    expect(Math.abs(late.length - 5)).toBeLessThanOrEqual(1);
  });
});
