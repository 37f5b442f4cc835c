import { EventEmitter } from 'node:events';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { HubEvents } from '../../../src/core/token-service.js';
import { SignInLinks } from '../../../src/server/dashboard/sign-in-links.js';
import { createServer } from '../../../src/server/index.js';
import { ManualClock } from '../../../src/util/clock.js';
import { FakeTokenService } from '../fake-token-service.js';
import { ADMIN_KEY, APPID, expectError, OTHER_APPID, SECRET, setup, type Harness } from '../helpers.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** The `name=value` pairs of a response's Set-Cookie headers, merged into `jar`. */
function keepCookies(res: LightMyRequestResponse, jar: Map<string, string>): void {
  for (const header of [res.headers['set-cookie'] ?? []].flat()) {
    const [pair] = String(header).split(';');
    const [name, value] = pair!.split('=', 2) as [string, string];
    if (value === '') jar.delete(name);
    else jar.set(name, value);
  }
}

function cookieHeader(jar: Map<string, string>): string {
  return [...jar].map(([n, v]) => `${n}=${v}`).join('; ');
}

function setCookie(res: LightMyRequestResponse, name: string): string | undefined {
  return [res.headers['set-cookie'] ?? []].flat().map(String).find((c) => c.startsWith(`${name}=`));
}

/** A browser's view of the dashboard over inject(): a cookie jar and the CSRF token of the last page. */
class Browser {
  readonly jar = new Map<string, string>();
  csrf = '';
  constructor(readonly app: FastifyInstance) {}

  async request(method: string, url: string, options: { body?: unknown; form?: string; headers?: Record<string, string> } = {}): Promise<LightMyRequestResponse> {
    const headers: Record<string, string> = { cookie: cookieHeader(this.jar), ...options.headers };
    const res = await this.app.inject({
      method: method as 'GET',
      url,
      headers: options.form !== undefined ? { ...headers, ...FORM } : headers,
      ...(options.form !== undefined ? { payload: options.form } : options.body !== undefined ? { payload: options.body as object } : {}),
    });
    keepCookies(res, this.jar);
    const token = /name="(?:_csrf|csrf-token)" (?:value|content)="([^"]+)"/.exec(res.body);
    if (token) this.csrf = token[1]!;
    return res;
  }

  async signIn(key = ADMIN_KEY): Promise<LightMyRequestResponse> {
    await this.request('GET', '/dashboard/sign-in');
    return this.request('POST', '/dashboard/sign-in', { form: `_csrf=${encodeURIComponent(this.csrf)}&key=${encodeURIComponent(key)}` });
  }

  /** Signs in and loads the page (which carries the CSRF token for API calls). */
  async open(): Promise<void> {
    expect((await this.signIn()).statusCode).toBe(303);
    expect((await this.request('GET', '/dashboard')).statusCode).toBe(200);
  }

  api(method: string, url: string, body?: unknown): Promise<LightMyRequestResponse> {
    return this.request(method, url, { body, headers: { 'x-csrf-token': this.csrf } });
  }
}

let h: Harness | undefined;
afterEach(async () => {
  await h?.app.close();
  h = undefined;
});

describe('dashboard availability', () => {
  it('is off without an admin key, and when turned off', async () => {
    const clock = new ManualClock();
    for (const options of [{}, { adminKey: ADMIN_KEY, dashboard: false as const }]) {
      const app = createServer({ service: new FakeTokenService(clock), clock, ...options });
      expect((await app.inject({ method: 'GET', url: '/dashboard' })).statusCode).toBe(404);
      expect((await app.inject({ method: 'GET', url: '/' })).statusCode).toBe(404);
      await app.close();
    }
  });

  it('/ redirects to /dashboard, which asks a visitor without a session to sign in', async () => {
    h = await setup();
    const root = await h.app.inject({ method: 'GET', url: '/' });
    expect([root.statusCode, root.headers.location]).toEqual([302, '/dashboard']);
    const page = await h.app.inject({ method: 'GET', url: '/dashboard' });
    expect([page.statusCode, page.headers.location]).toEqual([303, '/dashboard/sign-in']);
  });

  it('serves its assets and only the two vendored chart files', async () => {
    h = await setup();
    const js = await h.app.inject({ method: 'GET', url: '/dashboard/assets/dashboard.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect((await h.app.inject({ method: 'GET', url: '/dashboard/vendor/uPlot.iife.min.js' })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'GET', url: '/dashboard/vendor/uPlot.min.css' })).statusCode).toBe(200);
    for (const url of ['/dashboard/vendor/uPlot.esm.js', '/dashboard/vendor/../package.json', '/dashboard/assets/../../package.json']) {
      expect((await h.app.inject({ method: 'GET', url })).statusCode, url).toBeGreaterThanOrEqual(400);
    }
  });
});

describe('dashboard sign-in', () => {
  it('exchanges the admin key for an HttpOnly, SameSite=Strict, expiring session cookie; the page never holds the key', async () => {
    h = await setup();
    const browser = new Browser(h.app);
    const form = await browser.request('GET', '/dashboard/sign-in');
    expect(form.statusCode).toBe(200);
    expect(form.headers['content-security-policy']).toContain("script-src 'self'");
    expect(form.headers['x-frame-options']).toBe('DENY');
    expect(setCookie(form, 'wxtoken_csrf')).toMatch(/HttpOnly; SameSite=Strict/);
    const res = await browser.request('POST', '/dashboard/sign-in', { form: `_csrf=${encodeURIComponent(browser.csrf)}&key=${encodeURIComponent(ADMIN_KEY)}` });
    expect([res.statusCode, res.headers.location]).toEqual([303, '/dashboard']);
    const cookie = setCookie(res, 'wxtoken_session')!;
    expect(cookie).toMatch(/Max-Age=28800; Path=\/dashboard; HttpOnly; SameSite=Strict$/);
    expect(cookie).not.toContain('Secure');
    expect(cookie).not.toContain(ADMIN_KEY);
    const page = await browser.request('GET', '/dashboard');
    expect(page.statusCode).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.body).toContain('<meta name="csrf-token"');
    expect(page.body).not.toContain(ADMIN_KEY);
  });

  it('marks cookies Secure behind a TLS proxy that says so', async () => {
    h = await setup();
    const browser = new Browser(h.app);
    await browser.request('GET', '/dashboard/sign-in', { headers: { 'x-forwarded-proto': 'https' } });
    const res = await browser.request('POST', '/dashboard/sign-in', {
      form: `_csrf=${encodeURIComponent(browser.csrf)}&key=${encodeURIComponent(ADMIN_KEY)}`,
      headers: { 'x-forwarded-proto': 'https, http' },
    });
    expect(setCookie(res, 'wxtoken_session')).toMatch(/; Secure/);
  });

  it('marks cookies Secure when told to, whatever the request says', async () => {
    h = await setup({ dashboard: { secureCookies: true } });
    const res = await new Browser(h.app).signIn();
    expect(setCookie(res, 'wxtoken_session')).toMatch(/; Secure/);
  });

  it('refuses a wrong key (401, counted towards the per-address throttle) and a sign-in without a CSRF token', async () => {
    h = await setup({ authFailureLimit: 2 });
    const browser = new Browser(h.app);
    const wrong = await browser.signIn('not-the-admin-key-0123456789abcdef');
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).toContain('That is not the admin key.');
    expect(setCookie(wrong, 'wxtoken_session')).toBeUndefined();
    const noToken = await browser.request('POST', '/dashboard/sign-in', { form: `key=${encodeURIComponent(ADMIN_KEY)}` });
    expect(noToken.statusCode).toBe(403);
    expect(setCookie(noToken, 'wxtoken_session')).toBeUndefined();
    expect((await browser.signIn('not-the-admin-key-0123456789abcdef')).statusCode).toBe(401);
    // Two failures: the address is blocked, even for the right key.
    expect((await browser.signIn()).statusCode).toBe(429);
  });

  it('accepts a one-time sign-in link once', async () => {
    const links = new SignInLinks();
    h = await setup({ dashboard: { signInLinks: links } });
    const token = links.issue();
    const browser = new Browser(h.app);
    const first = await browser.request('GET', `/dashboard/sign-in?token=${token}`);
    expect([first.statusCode, first.headers.location]).toEqual([303, '/dashboard']);
    expect(setCookie(first, 'wxtoken_session')).toBeDefined();
    const again = await new Browser(h.app).request('GET', `/dashboard/sign-in?token=${token}`);
    expect(again.statusCode).toBe(401);
    expect(setCookie(again, 'wxtoken_session')).toBeUndefined();
  });

  it('ends sessions on expiry, on sign-out, and refuses tampered cookies', async () => {
    h = await setup();
    const browser = new Browser(h.app);
    await browser.open();
    expect((await browser.api('GET', '/dashboard/api/overview')).statusCode).toBe(200);

    const tampered = new Browser(h.app);
    const [value, signature] = browser.jar.get('wxtoken_session')!.split(/\.(?=[^.]+$)/) as [string, string];
    tampered.jar.set('wxtoken_session', `${value.replace(/v1\.\d+/, `v1.${h.clock.now() + 1000}`)}.${signature}`);
    expectError(await tampered.api('GET', '/dashboard/api/overview'), 401, 'unauthorized');

    const stolen = new Map(browser.jar);
    const out = await browser.request('POST', '/dashboard/sign-out', { form: `_csrf=${encodeURIComponent(browser.csrf)}` });
    expect([out.statusCode, out.headers.location]).toEqual([303, '/dashboard/sign-in']);
    expect(setCookie(out, 'wxtoken_session')).toMatch(/Expires=Thu, 01 Jan 1970/);
    const replay = new Browser(h.app);
    for (const [n, v] of stolen) replay.jar.set(n, v);
    expectError(await replay.api('GET', '/dashboard/api/overview'), 401, 'unauthorized');

    const later = new Browser(h.app);
    await later.open();
    await h.clock.advance(8 * 3_600_000);
    expectError(await later.api('GET', '/dashboard/api/overview'), 401, 'unauthorized');
  });
});

describe('dashboard API', () => {
  it('needs a session', async () => {
    h = await setup();
    expectError(await h.app.inject({ method: 'GET', url: '/dashboard/api/credentials' }), 401, 'unauthorized');
    // The admin API's bearer key is not a dashboard session.
    expectError(await h.app.inject({ method: 'GET', url: '/dashboard/api/credentials', headers: { authorization: `Bearer ${ADMIN_KEY}` } }), 401, 'unauthorized');
  });

  it('refuses every change without a valid CSRF token, and makes none', async () => {
    h = await setup();
    const browser = new Browser(h.app);
    await browser.open();
    const attempts: Array<[string, string, unknown]> = [
      ['POST', '/dashboard/api/keys', { name: 'forged', apps: ['*'] }],
      ['DELETE', '/dashboard/api/keys/all-apps', undefined],
      ['PUT', `/dashboard/api/apps/${APPID}`, { secret: 'changed-secret' }],
      ['DELETE', `/dashboard/api/apps/${OTHER_APPID}`, undefined],
      ['POST', '/dashboard/api/credentials/refresh', { key: `${APPID}:access_token` }],
    ];
    for (const [method, url, body] of attempts) {
      for (const token of [undefined, 'forged-token', `${browser.csrf}x`]) {
        const res = await browser.request(method, url, { body, headers: token === undefined ? {} : { 'x-csrf-token': token } });
        expectError(res, 403, 'forbidden');
      }
    }
    expect((await h.service.listClientKeys()).map((k) => k.name).sort()).toEqual(['all-apps', 'one-app']);
    expect(h.service.apps.get(APPID)!.secret).toBe(SECRET);
    expect(h.service.apps.has(OTHER_APPID)).toBe(true);
    expect(h.service.calls.filter((c) => c.method === 'refresh')).toEqual([]);
  });

  it('lists credentials with filters and paging, and a credential with its history', async () => {
    h = await setup();
    const browser = new Browser(h.app);
    await browser.open();
    const list = await browser.api('GET', '/dashboard/api/credentials?size=1&sort=key');
    expect(list.statusCode).toBe(200);
    expect(list.json()).toMatchObject({ total: 2, pages: 2, page: 1, rows: [{ key: `${APPID}:access_token`, kind: 'access_token', principal: APPID, actions: ['refresh'] }] });
    const one = await browser.api('GET', `/dashboard/api/credential?key=${encodeURIComponent(`${OTHER_APPID}:access_token`)}`);
    expect(one.json()).toMatchObject({ row: { principal: OTHER_APPID }, app: { appid: OTHER_APPID, grant: 'classic' }, daily_limit: 2000, calls_today: 0 });
    const stable = await browser.api('GET', `/dashboard/api/credential?key=${encodeURIComponent(`${APPID}:access_token`)}`);
    expect(stable.json()).toMatchObject({ app: { grant: 'stable' }, daily_limit: 500_000 });
    expectError(await browser.api('GET', '/dashboard/api/credential?key=nope'), 404, 'not_found');
  });

  it('forces a refresh without ever returning the new token', async () => {
    h = await setup();
    const browser = new Browser(h.app);
    await browser.open();
    const res = await browser.api('POST', '/dashboard/api/credentials/refresh', { key: `${APPID}:access_token` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ key: `${APPID}:access_token`, expires_at: expect.any(Number) });
    expect(res.body).not.toContain('fake-');
    expectError(await browser.api('POST', '/dashboard/api/credentials/refresh', { key: 'wx0123456789abcdef:jsapi_ticket' }), 404, 'not_found');
  });

  it('adds, updates and removes apps; creates a key shown once and revokes it', async () => {
    h = await setup();
    const browser = new Browser(h.app);
    await browser.open();
    const NEW_APP = 'wx1111111111111111';
    expect((await browser.api('PUT', `/dashboard/api/apps/${NEW_APP}`, { secret: 'new-secret-0123', grant: 'classic' })).statusCode).toBe(201);
    expect((await browser.api('PUT', `/dashboard/api/apps/${NEW_APP}`, { secret: 'new-secret-4567' })).statusCode).toBe(200);
    expectError(await browser.api('PUT', '/dashboard/api/apps/not-an-appid', { secret: 'x' }), 400, 'invalid_request');
    expect((await browser.api('DELETE', `/dashboard/api/apps/${NEW_APP}`)).statusCode).toBe(204);
    expectError(await browser.api('DELETE', `/dashboard/api/apps/${NEW_APP}`), 404, 'app_not_found');

    const created = await browser.api('POST', '/dashboard/api/keys', { name: 'ops', apps: [APPID], sign_only: true });
    expect(created.statusCode).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const { key } = created.json() as { key: string };
    expect(h.service.authenticate(key)).toMatchObject({ name: 'ops' });
    const listed = await browser.api('GET', '/dashboard/api/keys');
    expect(listed.json().keys.find((k: { name: string }) => k.name === 'ops')).toMatchObject({ apps: [APPID], capabilities: ['sign'] });
    expect(listed.body).not.toContain(key);
    expect((await browser.api('DELETE', '/dashboard/api/keys/ops')).statusCode).toBe(204);
    expect(h.service.authenticate(key)).toBeNull();
    expectError(await browser.api('DELETE', '/dashboard/api/keys/ops'), 404, 'not_found');
  });

  it('asks WeChat for an app quota with the app token, on the path of its grant', async () => {
    const calls: string[] = [];
    const fakeFetch = (async (input: string | URL, init?: RequestInit) => {
      calls.push(`${String(input)} ${String(init?.body)}`);
      return new Response(JSON.stringify({ errcode: 0, errmsg: 'ok', quota: { daily_limit: 2000, used: 7, remain: 1993 } }), { headers: { 'content-type': 'application/json' } });
    }) as typeof fetch;
    h = await setup({ fetch: fakeFetch, upstreamBaseUrl: 'http://127.0.0.1:9' });
    const browser = new Browser(h.app);
    await browser.open();
    const res = await browser.api('GET', `/dashboard/api/apps/${OTHER_APPID}/wechat-quota`);
    expect(res.json()).toEqual({ appid: OTHER_APPID, cgi_path: '/cgi-bin/token', daily_limit: 2000, used: 7, remain: 1993 });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatch(/^http:\/\/127\.0\.0\.1:9\/cgi-bin\/openapi\/quota\/get\?access_token=fake-wxfedcba9876543210-1 \{"cgi_path":"\/cgi-bin\/token"\}$/);
    expect(res.body).not.toContain('fake-');
  });
});

describe('dashboard live events', () => {
  it('streams hub events to a signed-in page and ends the stream when the server closes', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const events = new EventEmitter();
    const service = new FakeTokenService(clock);
    service.addApp(APPID, SECRET);
    const app = createServer({ service, clock, adminKey: ADMIN_KEY, events: events as unknown as HubEvents });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const browser = new Browser(app);
      await browser.open();
      const res = await fetch(`${url}/dashboard/api/events`, { headers: { cookie: cookieHeader(browser.jar) } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      const reader = res.body!.getReader();
      let text = '';
      const readUntil = async (needle: string): Promise<void> => {
        while (!text.includes(needle)) {
          const { value, done } = await reader.read();
          if (done) throw new Error(`stream ended before ${needle}`);
          text += Buffer.from(value).toString();
        }
      };
      await readUntil('event: hello');
      events.emit('refreshed', { appid: APPID, kind: 'access_token', expiresAt: 0, durationMs: 3, reason: 'scheduled' });
      await readUntil('event: credential');
      expect(text).toContain(`"type":"refreshed","key":"${APPID}:access_token"`);
      const overview = await browser.api('GET', '/dashboard/api/overview');
      expect(overview.json().fleet.refreshed.at(-1)).toBe(1);
      await app.close();
      // The server's close ends the stream instead of waiting for the browser to go away.
      while (!(await reader.read()).done);
      for (const e of ['refreshed', 'refresh_failed', 'invalidated', 'adopted']) expect(events.listenerCount(e), e).toBe(0);
    } finally {
      await app.close();
    }
    const noSession = await fetch(`${url}/dashboard/api/events`).catch(() => null);
    expect(noSession).toBeNull();
  });
});

describe('the overview with Open Platform components', () => {
  it("shows each component's verify ticket: its health and age, or that none arrived", async () => {
    const components = [
      { componentAppid: 'wx00000000000000c1', verifyTicket: { createdAt: 0, receivedAt: 0, ageMs: 125_000, health: 'fresh' }, token: null, createdAt: 0 },
      { componentAppid: 'wx00000000000000c2', verifyTicket: { health: 'missing' }, token: null, createdAt: 0 },
    ];
    h = await setup();
    // A stand-in for the Hub's Open Platform facade: only what the overview reads.
    Object.assign(h.service, { open: { authorizerToken: () => Promise.reject(new Error('unused')), listComponents: async () => components } });
    const browser = new Browser(h.app);
    await browser.open();
    expect((await browser.api('GET', '/dashboard/api/overview')).json().verify_tickets).toEqual([
      { component_appid: 'wx00000000000000c1', health: 'fresh', age_seconds: 125 },
      { component_appid: 'wx00000000000000c2', health: 'missing', age_seconds: null },
    ]);
  });

  it('lists none on a hub without the Open Platform', async () => {
    h = await setup();
    const browser = new Browser(h.app);
    await browser.open();
    expect((await browser.api('GET', '/dashboard/api/overview')).json().verify_tickets).toEqual([]);
  });
});
