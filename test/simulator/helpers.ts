import { ManualClock } from '../../src/util/clock.js';
import { createSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';

export const APPID = 'wx0000000000000001';
export const SECRET = 'app-secret-1';
export const CORPID = 'ww0000000000000001';
export const CORP_SECRET = 'corp-secret-1';

/** 2026-01-01T00:00:00Z = 08:00 in Shanghai. */
export const START = Date.UTC(2026, 0, 1);

/** A deterministic random source (mulberry32), so tokens and rids are reproducible. */
export function seededRandom(seed = 42): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A simulator on a ManualClock with one app and one corp registered. */
export function manualSimulator(options: SimulatorOptions = {}): { sim: Simulator; clock: ManualClock } {
  const clock = new ManualClock(START);
  const sim = createSimulator({
    clock,
    random: seededRandom(),
    apps: [{ appid: APPID, secret: SECRET }],
    corps: [{ corpid: CORPID, secret: CORP_SECRET }],
    ...options,
  });
  return { sim, clock };
}

/** Parsed JSON of an inject() response. */
export type Json = Record<string, any>;

/** GET /cgi-bin/token for the default app. */
export async function classic(sim: Simulator, query: Record<string, string> = {}): Promise<Json> {
  const params = new URLSearchParams({ grant_type: 'client_credential', appid: APPID, secret: SECRET, ...query });
  const res = await sim.app.inject({ method: 'GET', url: `/cgi-bin/token?${params}` });
  return res.json();
}

/** POST /cgi-bin/stable_token for the default app. */
export async function stable(sim: Simulator, body: Record<string, unknown> = {}): Promise<Json> {
  const res = await sim.app.inject({
    method: 'POST',
    url: '/cgi-bin/stable_token',
    payload: { grant_type: 'client_credential', appid: APPID, secret: SECRET, ...body },
  });
  return res.json();
}

/** A business call (getcallbackip) with `token`; returns the errcode, or 0 on success. */
export async function use(sim: Simulator, token: string | undefined, path = '/cgi-bin/getcallbackip'): Promise<number> {
  const url = token === undefined ? path : `${path}?access_token=${encodeURIComponent(token)}`;
  const res = await sim.app.inject({ method: 'GET', url });
  const body = res.json() as Json;
  return typeof body.errcode === 'number' ? body.errcode : 0;
}

/** Advances `clock` by `seconds`. */
export function advance(clock: ManualClock, seconds: number): Promise<void> {
  return clock.advance(seconds * 1000);
}

/** GET helpers bound to the simulator a test file currently holds (read through `current` at call time). */
export function requestsTo(current: () => Simulator): {
  get: (url: string) => Promise<Json>;
  wecom: (query?: string) => Promise<Json>;
} {
  const get = async (url: string): Promise<Json> => (await current().app.inject({ method: 'GET', url })).json();
  const wecom = (query = `corpid=${CORPID}&corpsecret=${CORP_SECRET}`): Promise<Json> => get(`/cgi-bin/gettoken?${query}`);
  return { get, wecom };
}
