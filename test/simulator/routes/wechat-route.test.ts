import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSimulator, type Simulator } from '../../../src/simulator/index.js';
import { APPID, SECRET } from '../helpers.js';

const OTHER = 'wx0000000000000002';
let sim: Simulator;
let base: string;

beforeEach(async () => {
  sim = createSimulator({ apps: [{ appid: APPID, secret: SECRET }, { appid: OTHER, secret: SECRET }] });
  base = await sim.listen();
});
afterEach(() => sim.close());

function tokenUrl(appid = APPID): string {
  return `${base}/cgi-bin/token?grant_type=client_credential&appid=${appid}&secret=${SECRET}`;
}

describe('fault injection over a real loopback socket', () => {
  it('listens on 127.0.0.1', () => {
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('errcode answers the code with HTTP 200 for the next N requests, then normal again', async () => {
    sim.state.injectFault({ path: '/cgi-bin/token', mode: 'errcode', count: 2 });
    for (let i = 0; i < 2; i++) {
      const res = await fetch(tokenUrl());
      expect(res.status).toBe(200);
      const body = (await res.json()) as any;
      expect(body.errcode).toBe(-1);
      expect(body.errmsg).toMatch(/^system error rid: /);
    }
    expect((await fetchJson(tokenUrl())).access_token).toBeDefined();
    sim.state.injectFault({ path: '/cgi-bin/token', mode: 'errcode', errcode: 45009 });
    expect((await fetchJson(tokenUrl())).errcode).toBe(45009);
    // A fault answers instead of the endpoint: nothing was fetched or rotated.
    const counters = sim.state.counters(APPID);
    expect(counters.requests.classic).toBe(4);
    expect(counters.fetches.classic).toBe(1);
  });

  it('only hits the named appid when one is given', async () => {
    sim.state.injectFault({ path: '/cgi-bin/token', mode: 'errcode', appid: OTHER });
    expect((await fetchJson(tokenUrl(APPID))).access_token).toBeDefined();
    expect((await fetchJson(tokenUrl(OTHER))).errcode).toBe(-1);
  });

  it('http-502 answers an HTML page with status 502', async () => {
    sim.state.injectFault({ path: '/cgi-bin/token', mode: 'http-502' });
    const res = await fetch(tokenUrl());
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain('502 Bad Gateway');
  });

  it('truncated-json answers 200 with a body that does not parse', async () => {
    sim.state.injectFault({ path: '/cgi-bin/stable_token', mode: 'truncated-json' });
    const res = await fetch(`${base}/cgi-bin/stable_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credential', appid: APPID, secret: SECRET }),
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text.length).toBeGreaterThan(0);
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
  });

  it('empty-body answers 200 with no body as gbk HTML', async () => {
    sim.state.injectFault({ path: '/cgi-bin/token', mode: 'empty-body' });
    const res = await fetch(tokenUrl());
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=gbk');
    expect(await res.text()).toBe('');
  });

  it('reset destroys the socket', async () => {
    sim.state.injectFault({ path: '/cgi-bin/getcallbackip', mode: 'reset' });
    await expect(fetch(`${base}/cgi-bin/getcallbackip?access_token=x`)).rejects.toThrow(/fetch failed/);
    // The next request is served normally.
    expect((await fetchJson(`${base}/cgi-bin/getcallbackip`)).errcode).toBe(41001);
  });

  it('hang never answers: the client gives up, and close() does not wait for it', async () => {
    sim.state.injectFault({ path: '/cgi-bin/token', mode: 'hang', count: 2 });
    const started = Date.now();
    await expect(fetch(tokenUrl(), { signal: AbortSignal.timeout(150) })).rejects.toThrow(/aborted|timeout/i);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    await waitFor(() => sim.state.counters(APPID).inFlightTokenFetches === 0);
    const pending = fetch(tokenUrl()).then(
      () => 'answered',
      () => 'failed',
    );
    await waitFor(() => sim.state.counters(APPID).inFlightTokenFetches === 1);
    await sim.close();
    expect(await pending).toBe('failed');
  });

  it('delay answers normally after delayMs', async () => {
    sim.state.injectFault({ path: '/cgi-bin/token', mode: 'delay', delayMs: 150 });
    const started = Date.now();
    const body = await fetchJson(tokenUrl());
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(body.access_token).toBeDefined();
  });
});

describe('concurrency', () => {
  it('maxConcurrentTokenFetches counts overlapping token requests (with added latency)', async () => {
    await sim.close();
    sim = createSimulator({ apps: [{ appid: APPID, secret: SECRET }], latencyMs: 100 });
    base = await sim.listen();
    await Promise.all(Array.from({ length: 5 }, () => fetch(tokenUrl()).then((r) => r.json())));
    let counters = sim.state.counters(APPID);
    expect(counters.maxConcurrentTokenFetches).toBe(5);
    expect(counters.inFlightTokenFetches).toBe(0);
    expect(counters.rotations.classic).toBe(5);
    sim.state.resetCounters(APPID);
    for (let i = 0; i < 2; i++) await fetchJson(tokenUrl());
    counters = sim.state.counters(APPID);
    expect(counters.maxConcurrentTokenFetches).toBe(1);
    expect(counters.requests.classic).toBe(2);
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(condition()).toBe(true);
}

async function fetchJson(url: string): Promise<any> {
  return (await fetch(url)).json();
}
