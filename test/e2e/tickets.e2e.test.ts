import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import {
  assertBuilt,
  distributedStores,
  HubFleet,
  readToken,
  requireStore,
  seedStore,
  waitFor,
  type HubFlags,
  type HubProcess,
} from '../support/hub-process.js';
import { tokenFetches } from '../support/sim-counters.js';
import { APPID, SECRET, tempDir } from '../support/stack.js';
import {
  getticketAnswered,
  getticketCalls,
  getticketRotations,
  maxWaitSince,
  readTicket,
  sameTicketEverywhere,
  signConfig,
  startSigners,
  stickyAgeKnown,
  verifyConfig,
  type SignerTally,
} from '../support/tickets.js';

/**
 * JS-SDK tickets end to end: `wxtoken serve` processes (the built CLI) in front of the simulator, callers asking the
 * hub to sign `wx.config` for pages and the simulator checking every signature as WeChat's page would.
 *
 * Lifetimes are compressed: tokens live 8 s, tickets 4 s, and the hubs' lead and margin are given for 8 s (refresh
 * a token 2 s before expiry, serve until 0.5 s before; a ticket gets half of that). A ticket first seen with
 * nothing before it has an unknown age: the hub vouches for it one probe (1/8 of its life, 0.5 s here) at a time
 * until getticket brings a new one, whose age is then known; from there on one getticket per lifetime. The
 * simulator answers credential requests after 20 ms. Lease settings are the defaults throughout.
 *
 * Why so short: the hub pins a successor's issue time "closely" when it appeared within 1/240 of the lifetime + 1 s
 * of the last confirmation of its predecessor, and each lifetime adds a call's latency and timer delay to that
 * distance. Past it the hub confirms the ticket every 1/240 of its life (as with a real 7200 s ticket: every 30 s),
 * and compressed, that interval (25 ms for 6 s) is shorter than a getticket call: the confirmed ticket is outside
 * its serving window on arrival and callers get 503. 0.5 s probes and short calls keep these tests clear of that
 * phase, which only real-length lifetimes can exercise end to end (it is reported, not tested, here).
 */
const TOKEN_TTL_S = 8;
const TICKET_TTL_S = 4;
/** How long a ticket of unknown age is vouched for (src/core/kinds/ticket.ts, STICKY_PROBE_FRACTION). */
const PROBE_MS = (TICKET_TTL_S * 1000) / 8;
const FLAGS: HubFlags = { referenceLifetime: TOKEN_TTL_S, refreshLead: 2, serveMargin: 0.5 };
const SIM = { tokenTtlSeconds: TOKEN_TTL_S, ticketTtlSeconds: TICKET_TTL_S, graceSeconds: 3, latencyMs: 20 };
/** How many ticket lifetimes the steady-state tests watch after the cold start's probes. */
const STEADY_LIFETIMES = 5;
/** The cold start: a whole ticket lifetime of probes, then the replacement; with room for a loaded machine. */
const COLD_START_TIMEOUT_MS = 4 * TICKET_TTL_S * 1000;

beforeAll(() => assertBuilt());

const fleet = new HubFleet();
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await fleet.stopAll();
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(() => fleet.dispose());

async function simulator(options: object): Promise<{ sim: Simulator; simUrl: string }> {
  const sim = createSimulator({ apps: [{ appid: APPID, secret: SECRET }], ...options });
  const simUrl = await sim.listen({ host: '127.0.0.1', port: 0 });
  cleanups.push(() => sim.close());
  return { sim, simUrl };
}

/** A fresh SQLite store with one classic-grant app and a client key. */
async function sqliteStore(): Promise<{ storeUrl: string; key: string }> {
  const { dir, cleanup } = await tempDir();
  cleanups.push(cleanup);
  const storeUrl = `sqlite:${join(dir, 'hub.db')}`;
  const key = await seedStore(storeUrl, { appid: APPID, secret: SECRET, grant: 'classic', keyName: 'tickets-e2e' });
  return { storeUrl, key };
}

/** One hub on SQLite in front of a simulator. */
async function singleHub(simOptions: object, flags: HubFlags = FLAGS) {
  const { sim, simUrl } = await simulator(simOptions);
  const { storeUrl, key } = await sqliteStore();
  const [hub] = (await fleet.start(1, { storeUrl, upstream: simUrl, ...flags })) as [HubProcess];
  return { sim, simUrl, storeUrl, key, hub };
}

/** WeChat's verdict on a token: `ok` or its errcode. */
async function business(simUrl: string, token: string): Promise<'ok' | number> {
  const res = await fetch(`${simUrl}/cgi-bin/getcallbackip?access_token=${encodeURIComponent(token)}`);
  const body = (await res.json()) as { errcode?: number };
  return body.errcode ? body.errcode : 'ok';
}

/** The signing tally without the per-request lists, for assertion messages. */
function summary(tally: SignerTally): object {
  const { waits: _w, used: _u, rejected, errors, ...rest } = tally;
  return { ...rest, rejected: rejected.slice(0, 10), errors: errors.slice(0, 10) };
}

/**
 * Zero rejected signatures once the ticket's age is known. Before that (the cold start), the hub vouches for a
 * ticket of unknown age one probe interval at a time, so a ticket that dies between two probes is served until
 * the next one (docs/api.md, "Tickets and JS-SDK signing"): a signature may fail as `expired-ticket`, but never
 * later than a probe interval (plus call latency on a loaded machine) after that ticket's end.
 */
function expectOnlyColdStartStaleness(tally: SignerTally, steadyFrom: number, why: string): void {
  // By when the page asked to be signed: a request made in the cold start may be verified just after it ends.
  expect(tally.rejected.filter((r) => r.requestedAt >= steadyFrom), why).toEqual([]);
  for (const r of tally.rejected) {
    expect(r.reason, why).toBe('expired-ticket');
    expect(r.at - r.ticketExpiresAt!, why).toBeLessThanOrEqual(PROBE_MS + 1_000);
  }
  expect(tally.valid + tally.rejected.length, why).toBe(tally.signed);
}

/** The longest signing waits with their times relative to `origin`, for the report. */
function longestWaits(tally: SignerTally, origin: number, n = 5): string {
  return [...tally.waits]
    .sort((a, b) => b.ms - a.ms)
    .slice(0, n)
    .map((w) => `${w.ms} ms at +${((w.at - origin) / 1000).toFixed(1)} s`)
    .join(', ');
}

describe('tickets end to end: one hub', () => {
  it('answers 500 concurrent first ticket requests with one getticket and one token fetch', async () => {
    // Full-length lifetimes: the ticket's first probe is 15 minutes away, so only the first requests can cause calls.
    const { sim, key, hub } = await singleHub({ tokenTtlSeconds: 7200, graceSeconds: 300, latencyMs: 200 });
    const answers = await Promise.all(Array.from({ length: 500 }, () => readTicket(hub.url, APPID, key)));

    const why = `${JSON.stringify(sim.state.counters(APPID))}\n${hub.describe()}`;
    expect(answers.filter((a) => a.status !== 200).map((a) => a.body), why).toEqual([]);
    expect(new Set(answers.map((a) => a.ticket)).size, why).toBe(1);
    expect(getticketCalls(sim, APPID), why).toBe(1);
    expect(tokenFetches(sim, APPID), why).toBe(1);
    expect(sim.state.counters(APPID).maxConcurrentTokenFetches, why).toBe(1);
    // A ticket first seen with nothing before it: its age is unknown, so it is vouched for one probe interval.
    expect(answers[0]!.ageKnown).toBe(false);
    expect(answers[0]!.expiresIn).toBeLessThanOrEqual(7200 / 8);
  }, 30_000);

  it('signs configs WeChat accepts through several ticket lifetimes, with one getticket per lifetime once the age is known', async () => {
    const { sim, simUrl, key, hub } = await singleHub(SIM);
    const startedAt = Date.now();
    const signers = startSigners({ hubs: [hub], appid: APPID, key, simUrl, perHub: 4 });

    // The cold start: the first ticket's age is unknown, so it is probed until getticket brings its successor.
    await stickyAgeKnown(hub.url, APPID, key, COLD_START_TIMEOUT_MS);
    const steadyFrom = Date.now();
    const coldStartCalls = getticketCalls(sim, APPID);
    const rotationsBefore = getticketRotations(sim, APPID);
    await new Promise((r) => setTimeout(r, STEADY_LIFETIMES * TICKET_TTL_S * 1000 + 1_000));
    const steadyCalls = getticketCalls(sim, APPID) - coldStartCalls;
    const steadyRotations = getticketRotations(sim, APPID) - rotationsBefore;
    const steadyTo = Date.now();
    const tally = await signers.stop();

    const lifetimes = (steadyTo - steadyFrom) / (TICKET_TTL_S * 1000);
    const steadyMaxWait = maxWaitSince(tally, steadyFrom);
    const figures = {
      coldStartS: (steadyFrom - startedAt) / 1000,
      coldStartGetticket: coldStartCalls,
      steadyLifetimes: Number(lifetimes.toFixed(2)),
      steadyGetticket: steadyCalls,
      steadyNewTickets: steadyRotations,
      tokenFetches: tokenFetches(sim, APPID),
      signed: tally.signed,
      invalidColdStart: tally.rejected.filter((r) => r.requestedAt < steadyFrom).length,
      invalidSteady: tally.rejected.filter((r) => r.requestedAt >= steadyFrom).length,
      longestSigningWaitMs: tally.maxWaitMs,
      longestSteadySigningWaitMs: steadyMaxWait,
    };
    console.log(`tickets, one hub: ${JSON.stringify(figures)}; longest waits: ${longestWaits(tally, startedAt)}`);

    const why = `${JSON.stringify({ figures, tally: summary(tally), counters: sim.state.counters(APPID) }, null, 1)}\n${hub.describe()}`;
    expect(tally.signed, why).toBeGreaterThan(100);
    expect(tally.hubErrors, why).toEqual({});
    expectOnlyColdStartStaleness(tally, steadyFrom, why);
    // One getticket per ticket lifetime (± 1 for where the window's ends fall), and each of them brought a new
    // ticket: none was spent confirming a ticket the hub already held.
    expect(Math.abs(steadyCalls - lifetimes), why).toBeLessThanOrEqual(1);
    expect(steadyCalls - steadyRotations, why).toBeLessThanOrEqual(1);
    // Around a rollover a caller waits for the old ticket's serve margin and one getticket, not for a lifetime.
    expect(steadyMaxWait, why).toBeLessThan(3_000);
    expect(hub.alive, why).toBe(true);
  }, 90_000);

  it('meets 40001 on getticket after the token was rotated elsewhere: one token refresh, one retry, callers served', async () => {
    // Tokens that outlive the test: only the rotation elsewhere can make the hub fetch another.
    const { sim, simUrl, key, hub } = await singleHub({ ...SIM, tokenTtlSeconds: 120, graceSeconds: 3 });
    const signers = startSigners({ hubs: [hub], appid: APPID, key, simUrl, perHub: 2 });
    await waitFor(async () => (await readTicket(hub.url, APPID, key)).status === 200, 10_000, () => hub.describe());
    const old = await readToken(hub.url, APPID, key);
    expect(old.status).toBe(200);
    // Counted with no call in flight: a call is counted as a request on arrival and as answered when answered.
    await waitFor(() => sim.state.counters(APPID).inFlightTokenFetches === 0, 5_000, () => 'a credential call never ended', 5);
    const tokensBefore = tokenFetches(sim, APPID);
    const callsBefore = getticketCalls(sim, APPID);
    const answeredBefore = getticketAnswered(sim, APPID);

    // Another system fetches twice with the app's secret: the hub's token is superseded twice, dead at once.
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${simUrl}/__sim/apps/${APPID}/rotate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant: 'classic' }) });
      expect(res.status).toBe(200);
    }
    expect(await business(simUrl, old.token!)).toBe(40001);

    // The ticket's next probe (within a second: its age is still unknown) meets 40001, then succeeds.
    const rejected = (): number => getticketCalls(sim, APPID) - callsBefore - (getticketAnswered(sim, APPID) - answeredBefore);
    const idle = (): boolean => sim.state.counters(APPID).inFlightTokenFetches === 0;
    await waitFor(() => idle() && rejected() >= 1 && getticketAnswered(sim, APPID) > answeredBefore, 15_000, () => `${JSON.stringify(sim.state.counters(APPID))}\n${hub.describe()}`);
    // Let any extra call that should not happen show up.
    await new Promise((r) => setTimeout(r, 1_500));
    const tally = await signers.stop();
    await waitFor(idle, 5_000, () => 'a credential call never ended', 5);

    const now = await readToken(hub.url, APPID, key);
    const why = `${JSON.stringify({ tally: summary(tally), counters: sim.state.counters(APPID) }, null, 1)}\n${hub.describe()}`;
    expect(rejected(), why).toBe(1);
    expect(tokenFetches(sim, APPID) - tokensBefore, why).toBe(1);
    expect(now.token, why).not.toBe(old.token);
    expect(await business(simUrl, now.token!), why).toBe('ok');
    expect(tally.signed, why).toBeGreaterThan(20);
    expect(tally.hubErrors, why).toEqual({});
    expectOnlyColdStartStaleness(tally, Number.POSITIVE_INFINITY, why);
  }, 60_000);

  it('a restart with a valid stored ticket makes no getticket call', async () => {
    const { sim, simUrl, storeUrl, key, hub } = await singleHub({ ...SIM, tokenTtlSeconds: 60, graceSeconds: 30 });
    // A ticket whose age is known and with most of its life left: the first one after the cold start's probes.
    let held = await stickyAgeKnown(hub.url, APPID, key, COLD_START_TIMEOUT_MS);
    if (held.expiresIn! < TICKET_TTL_S - 1) {
      const stale = held.ticket;
      await waitFor(async () => {
        held = await readTicket(hub.url, APPID, key);
        return held.status === 200 && held.ticket !== stale && held.ageKnown === true;
      }, 2 * TICKET_TTL_S * 1000, () => JSON.stringify(held.body), 100);
    }
    await hub.stop();
    const callsBefore = getticketCalls(sim, APPID);
    const tokensBefore = tokenFetches(sim, APPID);

    const [again] = (await fleet.start(1, { storeUrl, upstream: simUrl, ...FLAGS })) as [HubProcess];
    const read = await readTicket(again.url, APPID, key);
    const url = 'https://shop.example.com/after-restart?x=1';
    const signed = await signConfig(again.url, APPID, key, url);
    const why = `${JSON.stringify({ held: held.body, read: read.body, counters: sim.state.counters(APPID) })}\n${again.describe()}`;
    expect(read.status, why).toBe(200);
    expect(read.ticket, why).toBe(held.ticket);
    expect(read.ageKnown, why).toBe(true);
    expect(signed.status, why).toBe(200);
    expect((await verifyConfig(simUrl, APPID, url, signed.body)).valid, why).toBe(true);
    expect(getticketCalls(sim, APPID), why).toBe(callsBefore);
    expect(tokenFetches(sim, APPID), why).toBe(tokensBefore);
  }, 60_000);
});

/**
 * Each compressed lifetime adds a getticket call's latency and timer delay to the uncertainty of the ticket's issue
 * time, so now and then the hub confirms a ticket closely again before its successor appears (a few extra calls;
 * in production with 7200 s tickets about once in dozens of lifetimes). Two src defects once turned that phase
 * into 503s and doubled calls under compression, found by this test (2 of 8 runs on 2026-11-29) and fixed: a value
 * obtained but not servable counted as a failed refresh, and the close-confirmation interval could be shorter than
 * a call.
 */
describe.each(distributedStores())('tickets end to end: three hubs on $name', (store) => {
  it('make one getticket per ticket lifetime fleet-wide, hand out the same ticket, and sign only valid configs', async (ctx) => {
    await requireStore(store, ctx.skip);
    const { sim, simUrl } = await simulator(SIM);
    const { url: storeUrl, cleanup } = await store.isolatedUrl();
    cleanups.push(cleanup);
    const key = await seedStore(storeUrl, { appid: APPID, secret: SECRET, grant: 'classic' });
    const hubs = await fleet.start(3, { storeUrl, upstream: simUrl, ...FLAGS });
    const startedAt = Date.now();
    const signers = startSigners({ hubs, appid: APPID, key, simUrl, perHub: 2 });

    for (const hub of hubs) await stickyAgeKnown(hub.url, APPID, key, COLD_START_TIMEOUT_MS);
    const steadyFrom = Date.now();
    const coldStartCalls = getticketCalls(sim, APPID);
    const rotationsBefore = getticketRotations(sim, APPID);
    // Meanwhile, every second, the three hubs agree on the ticket (allowing for an adoption in flight).
    const deadline = steadyFrom + STEADY_LIFETIMES * TICKET_TTL_S * 1000 + 1_000;
    let agreements = 0;
    while (Date.now() < deadline - 1_000) {
      await sameTicketEverywhere(hubs, APPID, key, 2_000);
      agreements++;
      await new Promise((r) => setTimeout(r, 1_000));
    }
    await new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())));
    const steadyCalls = getticketCalls(sim, APPID) - coldStartCalls;
    const steadyRotations = getticketRotations(sim, APPID) - rotationsBefore;
    const steadyTo = Date.now();
    const tally = await signers.stop();

    const lifetimes = (steadyTo - steadyFrom) / (TICKET_TTL_S * 1000);
    const steadyMaxWait = maxWaitSince(tally, steadyFrom);
    // Every ticket any hub signed with in the steady state, every other hub signed with too.
    const byHub = new Map(hubs.map((h) => [h.name, new Set(tally.used.filter((u) => u.hub === h.name).map((u) => u.ticket))]));
    const steadyTickets = new Set(tally.used.filter((u) => u.at >= steadyFrom).map((u) => u.ticket));
    const missing = [...byHub].flatMap(([name, seen]) => [...steadyTickets].filter((t) => !seen.has(t)).map((t) => `${name} never signed with ${t.slice(0, 12)}…`));
    const figures = {
      coldStartS: (steadyFrom - startedAt) / 1000,
      coldStartGetticket: coldStartCalls,
      steadyLifetimes: Number(lifetimes.toFixed(2)),
      steadyGetticket: steadyCalls,
      steadyNewTickets: steadyRotations,
      steadyTicketsSigned: steadyTickets.size,
      tokenFetches: tokenFetches(sim, APPID),
      signed: tally.signed,
      hubErrorsColdStart: tally.errors.filter((e) => e.at < steadyFrom).length,
      invalidColdStart: tally.rejected.filter((r) => r.requestedAt < steadyFrom).length,
      invalidSteady: tally.rejected.filter((r) => r.requestedAt >= steadyFrom).length,
      longestSigningWaitMs: tally.maxWaitMs,
      longestSteadySigningWaitMs: steadyMaxWait,
      agreements,
    };
    console.log(`tickets, three hubs on ${store.name}: ${JSON.stringify(figures)}; longest waits: ${longestWaits(tally, startedAt)}`);

    const counters = sim.state.counters(APPID);
    const why = `${JSON.stringify({ figures, tally: summary(tally), counters }, null, 1)}\n${fleet.describe()}`;
    expect(tally.signed, why).toBeGreaterThan(100);
    // In the cold start, a 0.5 s vouch can lapse while a hub waits on another's getticket (see the report):
    // counted above, asserted only from the steady state on.
    expect(tally.errors.filter((e) => e.at >= steadyFrom), why).toEqual([]);
    expectOnlyColdStartStaleness(tally, steadyFrom, why);
    expect(Math.abs(steadyCalls - lifetimes), why).toBeLessThanOrEqual(1);
    expect(steadyCalls - steadyRotations, why).toBeLessThanOrEqual(1);
    expect(missing, why).toEqual([]);
    expect(agreements, why).toBeGreaterThanOrEqual(STEADY_LIFETIMES * 2);
    expect(steadyMaxWait, why).toBeLessThan(3_000);
    for (const hub of hubs) expect(hub.alive, hub.describe()).toBe(true);
  }, 120_000);
});
