import type { Simulator } from '../../src/simulator/index.js';
import { waitFor, type HubProcess } from './hub-process.js';

/**
 * JS-SDK tickets over HTTP for the end-to-end tests: read a hub's ticket, have a hub sign a `wx.config`, and ask the
 * simulator whether WeChat's page check would accept that signature now.
 */

/** getticket calls the app made (jsapi + wx_card, failed ones included). */
export function getticketCalls(sim: Simulator, appid: string): number {
  return sim.state.counters(appid).endpoints['/cgi-bin/ticket/getticket']?.requests ?? 0;
}

/** getticket calls the simulator answered with a ticket (the rest were errors, e.g. 40001). */
export function getticketAnswered(sim: Simulator, appid: string): number {
  return sim.state.counters(appid).endpoints['/cgi-bin/ticket/getticket']?.fetches ?? 0;
}

/** getticket calls that brought a ticket the app did not hold before. */
export function getticketRotations(sim: Simulator, appid: string): number {
  return sim.state.counters(appid).endpoints['/cgi-bin/ticket/getticket']?.rotations ?? 0;
}

/** What `GET /v1/apps/{appid}/tickets/{type}` answered. */
export interface TicketRead {
  status: number;
  ticket: string | null;
  expiresIn: number | null;
  ageKnown: boolean | null;
  body: Record<string, unknown>;
}

/** Reads an app's ticket from a hub. */
export async function readTicket(hubUrl: string, appid: string, key: string, type: 'jsapi' | 'wx_card' = 'jsapi'): Promise<TicketRead> {
  const res = await fetch(`${hubUrl}/v1/apps/${appid}/tickets/${type}`, { headers: { authorization: `Bearer ${key}` } });
  const body = (await res.json()) as Record<string, unknown>;
  const ok = res.status === 200;
  return {
    status: res.status,
    ticket: ok ? String(body['ticket']) : null,
    expiresIn: ok ? Number(body['expires_in']) : null,
    ageKnown: ok ? body['age_known'] === true : null,
    body,
  };
}

/** A hub's answer to `POST /v1/apps/{appid}/jssdk-config`. */
export interface SignedConfig {
  status: number;
  body: Record<string, unknown>;
}

/** Asks a hub to sign a wx.config for `url`. */
export async function signConfig(hubUrl: string, appid: string, key: string, url: string): Promise<SignedConfig> {
  const res = await fetch(`${hubUrl}/v1/apps/${appid}/jssdk-config`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The simulator's verdict on a signed config (`POST /__sim/jssdk/verify`). */
export async function verifyConfig(simUrl: string, appid: string, url: string, config: Record<string, unknown>): Promise<{ valid: boolean; reason?: string; ticket?: string; ticketExpiresAt?: number }> {
  const res = await fetch(`${simUrl}/__sim/jssdk/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ appid, kind: 'jsapi', url, nonceStr: config['nonceStr'], timestamp: config['timestamp'], signature: config['signature'] }),
  });
  const body = (await res.json()) as { valid?: boolean; reason?: string; ticket?: string; ticketExpiresAt?: number };
  if (res.status !== 200 || typeof body.valid !== 'boolean') throw new Error(`verify answered ${res.status}: ${JSON.stringify(body)}`);
  return { valid: body.valid, ...(body.reason !== undefined && { reason: body.reason }), ...(body.ticket !== undefined && { ticket: body.ticket }), ...(typeof body.ticketExpiresAt === 'number' && { ticketExpiresAt: body.ticketExpiresAt }) };
}

/** What signing callers saw. */
export interface SignerTally {
  /** Configs signed (HTTP 200) and checked by the simulator. */
  signed: number;
  /** Of those, the ones WeChat's page check accepted. */
  valid: number;
  /** Rejected signatures by reason (`expired-ticket`, `mismatch`, …). */
  invalid: Record<string, number>;
  /** Hub answers other than 200, by status (or `unreachable`). */
  hubErrors: Record<string, number>;
  /** The same one by one: when, from which hub, what status. */
  errors: Array<{ at: number; hub: string; status: string }>;
  /** The longest a signing request took, and when it ended (ms since epoch). */
  maxWaitMs: number;
  maxWaitAt: number;
  /** Every signing request's duration and end time, for per-phase figures. */
  waits: Array<{ at: number; ms: number }>;
  /**
   * Every rejected signature: when it was verified, when the signing request was made, by which hub, why, and
   * (expired-ticket) when its ticket expired.
   */
  rejected: Array<{ at: number; requestedAt: number; hub: string; reason: string; ticketExpiresAt?: number }>;
  /** Every accepted signature: when it was verified, by which hub, and the ticket the simulator matched it with. */
  used: Array<{ at: number; hub: string; ticket: string }>;
  /** The first few failures, for assertion messages. */
  samples: string[];
}

/**
 * Callers that ask their hub to sign a config for a page and at once have the simulator verify it, in a loop until
 * stopped. Each caller sticks to one hub; callers are spread round-robin.
 */
export function startSigners(options: { hubs: readonly Pick<HubProcess, 'url' | 'name'>[]; appid: string; key: string; simUrl: string; perHub?: number; pauseMs?: number }): {
  readonly tally: SignerTally;
  stop(): Promise<SignerTally>;
} {
  const tally: SignerTally = { signed: 0, valid: 0, invalid: {}, hubErrors: {}, errors: [], maxWaitMs: 0, maxWaitAt: 0, waits: [], rejected: [], used: [], samples: [] };
  const perHub = options.perHub ?? 2;
  const pauseMs = options.pauseMs ?? 20;
  let stopped = false;
  let page = 0;
  const sample = (line: string): void => {
    if (tally.samples.length < 10) tally.samples.push(`${new Date().toISOString()} ${line}`);
  };
  const loop = async (hub: Pick<HubProcess, 'url' | 'name'>): Promise<void> => {
    while (!stopped) {
      // Query, fragment and non-ASCII text: the hub must sign the URL as given, without its fragment.
      const url = `https://shop.example.com/pay/页面?item=${page++}&from=e2e#section-${page}`;
      try {
        const started = Date.now();
        const signed = await signConfig(hub.url, options.appid, options.key, url);
        const ended = Date.now();
        tally.waits.push({ at: ended, ms: ended - started });
        if (ended - started > tally.maxWaitMs) {
          tally.maxWaitMs = ended - started;
          tally.maxWaitAt = ended;
        }
        if (signed.status !== 200) {
          tally.hubErrors[String(signed.status)] = (tally.hubErrors[String(signed.status)] ?? 0) + 1;
          tally.errors.push({ at: ended, hub: hub.name, status: String(signed.status) });
          sample(`hub ${hub.name} answered ${signed.status} ${JSON.stringify(signed.body)}`);
        } else {
          const verdict = await verifyConfig(options.simUrl, options.appid, url, signed.body);
          tally.signed++;
          if (verdict.valid) {
            tally.valid++;
            tally.used.push({ at: Date.now(), hub: hub.name, ticket: verdict.ticket ?? '' });
          }
          else {
            const reason = verdict.reason ?? 'unknown';
            tally.invalid[reason] = (tally.invalid[reason] ?? 0) + 1;
            tally.rejected.push({ at: Date.now(), requestedAt: started, hub: hub.name, reason, ...(verdict.ticketExpiresAt !== undefined && { ticketExpiresAt: verdict.ticketExpiresAt }) });
            sample(`hub ${hub.name} signature rejected (${reason}): ${JSON.stringify(signed.body)}`);
          }
        }
      } catch (err) {
        if (!stopped) {
          tally.hubErrors['unreachable'] = (tally.hubErrors['unreachable'] ?? 0) + 1;
          tally.errors.push({ at: Date.now(), hub: hub.name, status: 'unreachable' });
          sample(`hub ${hub.name}: ${String(err)}`);
        }
      }
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  };
  const running = Promise.all(options.hubs.flatMap((hub) => Array.from({ length: perHub }, () => loop(hub))));
  return {
    tally,
    async stop() {
      stopped = true;
      await running;
      return tally;
    },
  };
}

/** Longest signing wait among requests that ended at or after `from`. */
export function maxWaitSince(tally: SignerTally, from: number): number {
  return tally.waits.filter((w) => w.at >= from).reduce((m, w) => Math.max(m, w.ms), 0);
}

/** Waits until every hub serves one and the same ticket; returns it. */
export async function sameTicketEverywhere(hubs: readonly Pick<HubProcess, 'url'>[], appid: string, key: string, timeoutMs = 10_000): Promise<TicketRead> {
  let last: TicketRead[] = [];
  await waitFor(
    async () => {
      last = await Promise.all(hubs.map((h) => readTicket(h.url, appid, key)));
      return last.every((r) => r.status === 200 && r.ticket === last[0]!.ticket);
    },
    timeoutMs,
    () => `hubs disagree: ${JSON.stringify(last.map((r) => ({ status: r.status, ticket: r.ticket?.slice(0, 12), ageKnown: r.ageKnown, expiresIn: r.expiresIn })))}`,
  );
  return last[0]!;
}

/** Waits until a hub serves a ticket whose age it knows (the end of the cold start's probes); returns it. */
export async function stickyAgeKnown(hubUrl: string, appid: string, key: string, timeoutMs: number): Promise<TicketRead> {
  let last: TicketRead | undefined;
  await waitFor(
    async () => {
      last = await readTicket(hubUrl, appid, key);
      return last.status === 200 && last.ageKnown === true;
    },
    timeoutMs,
    () => `the hub never learned its ticket's age: ${JSON.stringify(last?.body)}`,
    100,
  );
  return last!;
}
