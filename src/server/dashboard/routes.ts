import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerResponse } from 'node:http';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppStatus, CredentialState, HubEvents, TokenService } from '../../core/token-service.js';
import { AppNotFoundError, ForbiddenError, InvalidRequestError, NotFoundError, UnauthorizedError } from '../../errors/index.js';
import type { Clock } from '../../util/clock.js';
import { getApiQuota } from '../../wechat/index.js';
import { assertAppid } from '../appid.js';
import { sha256 } from '../auth.js';
import type { AuthGuard } from '../auth-guard.js';
import { handleApiError, sendFailure, toHttpFailure } from '../error-handler.js';
import { actionsOf, refreshActionOf } from './actions.js';
import { dailyLimit } from './daily-limits.js';
import { DashboardActivity, type ActivityEvent } from './activity.js';
import { parseCredentialQuery, principalOf, queryCredentials, toRow, type CredentialRow } from './credential-view.js';
import { MAX_REVOKED_SESSIONS, type ResolvedDashboardOptions } from './options.js';
import { DASHBOARD_CSP, dashboardPage, signInPage } from './pages.js';
import { quotaDayStart } from './refresh-history.js';
import { COOKIE_PATH, CSRF_COOKIE, cookieSigningKey, parseSession, RevokedSessions, SESSION_COOKIE, sessionValue } from './session.js';
import { openPlatformOf } from '../open/context.js';
import { createKey, createKeyBodySchema, putApp, putAppBodySchema, removeApp, revokeKey, type CreateKeyBody } from '../admin/admin-routes.js';

/** Where the dashboard's own assets are: `assets/dashboard/` at the package root (beside src/ and dist/). */
export const ASSETS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'assets', 'dashboard');
/** The only files served from the vendored chart library (uPlot, MIT) in node_modules. */
export const VENDOR_FILES: readonly string[] = ['uPlot.iife.min.js', 'uPlot.min.css'];
const VENDOR_DIR = dirname(createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js'));

/** Principals shown in the quota card: the busiest this WeChat day. */
const QUOTA_TOP = 5;

/** What the dashboard needs from the server. */
export interface DashboardDeps {
  readonly service: TokenService;
  readonly events: HubEvents | undefined;
  readonly clock: Clock;
  readonly guard: AuthGuard;
  readonly adminKey: string;
  readonly options: ResolvedDashboardOptions;
  /** For `openapi/quota/get`: where WeChat is, and how to call it. */
  readonly upstream: { readonly baseUrl: string; readonly fetch: typeof fetch; readonly timeoutMs: number };
}

const refreshBodySchema = {
  type: 'object',
  required: ['key'],
  properties: { key: { type: 'string', minLength: 1, maxLength: 200 } },
} as const;

const signInBodySchema = {
  type: 'object',
  required: ['key'],
  properties: { key: { type: 'string', maxLength: 1024 }, _csrf: { type: 'string', maxLength: 256 } },
} as const;

/** Every credential the hub tracks; a TokenService without listCredentials shows its apps' access tokens. */
async function listCredentials(service: TokenService): Promise<CredentialState[]> {
  if (service.listCredentials) return service.listCredentials();
  return (await service.listApps()).map((app: AppStatus) => ({
    key: `${app.appid}:access_token`,
    kind: 'access_token',
    appid: app.appid,
    state: app.state,
    tokenExpiresAt: app.tokenExpiresAt,
    lastRefreshAt: app.lastRefreshAt,
    nextAttemptAt: app.nextAttemptAt,
    lastError: app.lastError,
  }));
}

/**
 * Whether the browser reached the hub over TLS: the hub's own, or a proxy's that says so in X-Forwarded-Proto.
 * The header is trusted from anyone because it can only make a cookie stricter: a forged `https` gets a visitor a
 * Secure cookie their plain-HTTP browser will not send back.
 */
export function cameOverTls(request: Pick<FastifyRequest, 'protocol' | 'headers'>): boolean {
  if (request.protocol === 'https') return true;
  const forwarded = request.headers['x-forwarded-proto'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim().toLowerCase();
  return first === 'https';
}

function isUnsafe(method: string): boolean {
  return method !== 'GET' && method !== 'HEAD';
}

/**
 * Registers the dashboard under /dashboard in its own scope: cookies, CSRF, pages, the JSON API the page reads,
 * the live stream, and the static assets. Sign-in exchanges the admin key for a signed, HttpOnly, SameSite=Strict
 * session cookie; every state-changing request needs a CSRF token as well.
 */
export async function registerDashboard(app: FastifyInstance, deps: DashboardDeps): Promise<void> {
  const { service, clock, guard, options } = deps;
  const adminDigest = sha256(deps.adminKey);
  const revoked = new RevokedSessions(MAX_REVOKED_SESSIONS);
  const activity = new DashboardActivity(clock, deps.events, { maxCredentials: options.historyMaxCredentials });
  const streams = new Set<ServerResponse>();

  await app.register(fastifyCookie, { secret: cookieSigningKey(deps.adminKey) });
  await app.register(fastifyCsrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: CSRF_COOKIE,
    cookieOpts: { path: COOKIE_PATH, sameSite: 'strict', httpOnly: true, signed: true },
  });
  // The sign-in and sign-out forms post url-encoded bodies; nothing else here accepts them.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  await app.register(fastifyStatic, { root: ASSETS_DIR, prefix: '/dashboard/assets/', decorateReply: false, index: false, cacheControl: true, maxAge: 300_000 });
  await app.register(fastifyStatic, {
    root: VENDOR_DIR,
    prefix: '/dashboard/vendor/',
    decorateReply: false,
    index: false,
    maxAge: 3_600_000,
    allowedPath: (path) => VENDOR_FILES.includes(path.replace(/^\//, '')),
  });

  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.header('content-security-policy', DASHBOARD_CSP);
    reply.header('x-frame-options', 'DENY');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    done(null, payload);
  });

  app.setErrorHandler((err: unknown, request, reply) => {
    const csrf = typeof (err as { code?: unknown }).code === 'string' && (err as { code: string }).code.startsWith('FST_CSRF_');
    const error = csrf ? new ForbiddenError('the request has no valid CSRF token: reload the dashboard and try again') : err;
    if (request.url.startsWith('/dashboard/sign-in') && request.method === 'POST') {
      const failure = toHttpFailure(error);
      return reply.code(failure.status).type('text/html; charset=utf-8').send(signInPage(reply.generateCsrf(cookieOpts(request)), failure.message));
    }
    if (csrf) return sendFailure(reply, toHttpFailure(error));
    return handleApiError.call(app, error, request, reply);
  });

  app.addHook('preClose', (done) => {
    for (const stream of streams) stream.end();
    done();
  });
  app.addHook('onClose', (_app, done) => {
    activity.detach();
    done();
  });

  function cookieOpts(request: FastifyRequest): { secure: boolean } {
    return { secure: options.secureCookies === 'auto' ? cameOverTls(request) : options.secureCookies };
  }

  function sessionOf(request: FastifyRequest, reply: FastifyReply): { expiresAt: number; id: string } | null {
    const raw = request.cookies[SESSION_COOKIE];
    if (raw === undefined) return null;
    const unsigned = reply.unsignCookie(raw);
    if (!unsigned.valid || unsigned.value === null) return null;
    const now = clock.now();
    const session = parseSession(unsigned.value, now, options.sessionTtlMs);
    return session === null || revoked.has(session.id, now) ? null : session;
  }

  function startSession(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const expiresAt = clock.now() + options.sessionTtlMs;
    reply.setCookie(SESSION_COOKIE, sessionValue(expiresAt, randomBytes(24).toString('base64url')), {
      ...cookieOpts(request),
      signed: true,
      httpOnly: true,
      sameSite: 'strict',
      path: COOKIE_PATH,
      maxAge: Math.floor(options.sessionTtlMs / 1000),
    });
    // 303: the browser follows with a GET, and the sign-in POST (or a link's token) leaves its history.
    return reply.redirect('/dashboard', 303);
  }

  function signInForm(request: FastifyRequest, reply: FastifyReply, status: number, error?: string): FastifyReply {
    return reply.code(status).type('text/html; charset=utf-8').send(signInPage(reply.generateCsrf(cookieOpts(request)), error));
  }

  app.get('/dashboard', async (request, reply) => {
    if (sessionOf(request, reply) === null) return reply.redirect('/dashboard/sign-in', 303);
    return reply.type('text/html; charset=utf-8').send(dashboardPage(reply.generateCsrf(cookieOpts(request))));
  });

  app.get<{ Querystring: { token?: string } }>('/dashboard/sign-in', async (request, reply) => {
    const token = request.query.token;
    if (typeof token === 'string' && token !== '') {
      guard.assertAllowed(request, 'admin');
      if (options.signInLinks?.consume(token)) return startSession(request, reply);
      guard.failed(request, 'admin');
      return signInForm(request, reply, 401, 'That sign-in link is used up or has expired: sign in with the admin key.');
    }
    if (sessionOf(request, reply) !== null) return reply.redirect('/dashboard', 303);
    return signInForm(request, reply, 200);
  });

  app.post<{ Body: { key: string } }>(
    '/dashboard/sign-in',
    { schema: { body: signInBodySchema }, preHandler: app.csrfProtection },
    async (request, reply) => {
      guard.assertAllowed(request, 'admin');
      if (!timingSafeEqual(sha256(request.body.key), adminDigest)) {
        guard.failed(request, 'admin');
        return signInForm(request, reply, 401, 'That is not the admin key.');
      }
      return startSession(request, reply);
    },
  );

  app.post('/dashboard/sign-out', { preHandler: app.csrfProtection }, async (request, reply) => {
    const session = sessionOf(request, reply);
    if (session !== null) revoked.revoke(session.id, session.expiresAt, clock.now());
    reply.clearCookie(SESSION_COOKIE, { path: COOKIE_PATH });
    return reply.redirect('/dashboard/sign-in', 303);
  });

  // The JSON API the page reads: a session for everything, a CSRF token for every change.
  await app.register(async (api) => {
    api.addHook('onRequest', (request, reply, done) => {
      if (sessionOf(request, reply) === null) return done(new UnauthorizedError('sign in to the dashboard first'));
      done();
    });
    api.addHook('preHandler', (request, reply, done) => {
      if (!isUnsafe(request.method)) return done();
      app.csrfProtection(request, reply, done);
    });
    registerApi(api);
  });

  function registerApi(api: FastifyInstance): void {
    const rowsOf = async (): Promise<CredentialRow[]> => (await listCredentials(service)).map((state) => toRow(state, actionsOf(state.kind)));

    api.get('/dashboard/api/credentials', async (request) => {
      const query = parseCredentialQuery(request.query as Record<string, unknown>);
      return { now: clock.now(), ...queryCredentials(await rowsOf(), query) };
    });

    api.get<{ Querystring: { key?: string } }>('/dashboard/api/credential', async (request) => {
      const key = request.query.key ?? '';
      const now = clock.now();
      const state = (await listCredentials(service)).find((s) => s.key === key);
      if (!state) throw new NotFoundError(`no credential ${JSON.stringify(key.slice(0, 120))}`);
      const principal = principalOf(state);
      const app = (await service.listApps()).find((a) => a.appid === principal);
      return {
        now,
        row: toRow(state, actionsOf(state.kind)),
        history: activity.history.series(now, key),
        calls_today: activity.history.callsToday(key, now),
        daily_limit: dailyLimit(state.kind, app?.grant),
        app: app ? { appid: app.appid, grant: app.grant } : null,
      };
    });

    api.get('/dashboard/api/overview', async () => {
      const now = clock.now();
      let storeReady = false;
      try {
        storeReady = await service.isReady();
      } catch {
        storeReady = false;
      }
      const states = await listCredentials(service);
      const grants = new Map((await service.listApps()).map((app) => [app.appid, app.grant]));
      const byState: Record<string, number> = { failed: 0, retrying: 0, pending: 0, idle: 0, ok: 0 };
      for (const s of states) byState[s.state] = (byState[s.state] ?? 0) + 1;
      const busiest = states
        .map((s) => ({ key: s.key, kind: s.kind, calls: activity.history.callsToday(s.key, now), limit: dailyLimit(s.kind, grants.get(principalOf(s))) }))
        .filter((q) => q.calls > 0)
        .sort((a, b) => b.calls - a.calls)
        .slice(0, QUOTA_TOP);
      return {
        now,
        total: states.length,
        states: byState,
        store: { ready: storeReady },
        upstream: activity.upstream(),
        fleet: activity.history.series(now),
        quota: { day_start: quotaDayStart(now), by_kind: activity.history.callsTodayByKind(now), busiest },
        verify_tickets: await verifyTicketsOf(service),
        errors: activity.history.recentErrors().slice(0, 20),
      };
    });

    api.get<{ Params: { appid: string } }>('/dashboard/api/apps/:appid/wechat-quota', async (request) => {
      const { appid } = request.params;
      assertAppid(appid);
      const app = (await service.listApps()).find((a) => a.appid === appid);
      if (!app) throw new AppNotFoundError(appid);
      const cgiPath = app.grant === 'stable' ? '/cgi-bin/stable_token' : '/cgi-bin/token';
      const { token } = await service.getAccessToken(appid);
      const quota = await getApiQuota({ ...deps.upstream, clock, accessToken: token, cgiPath });
      return { appid, cgi_path: cgiPath, daily_limit: quota.dailyLimit, used: quota.used, remain: quota.remain };
    });

    api.post<{ Body: { key: string } }>('/dashboard/api/credentials/refresh', { schema: { body: refreshBodySchema } }, async (request) => {
      const state = (await listCredentials(service)).find((s) => s.key === request.body.key);
      if (!state) throw new NotFoundError(`no credential ${JSON.stringify(request.body.key.slice(0, 120))}`);
      const refresh = refreshActionOf(state.kind);
      if (refresh === undefined) throw new InvalidRequestError(`credentials of kind ${state.kind} cannot be refreshed on demand`);
      await refresh(service, principalOf(state));
      // The new value never leaves the hub: the page re-reads the row.
      const after = (await listCredentials(service)).find((s) => s.key === state.key);
      return { key: state.key, expires_at: after?.tokenExpiresAt ?? null };
    });

    api.put<{ Params: { appid: string }; Body: { secret: string; grant?: 'stable' | 'classic' } }>(
      '/dashboard/api/apps/:appid',
      { schema: { body: putAppBodySchema } },
      async (request, reply) => {
        const answer = await putApp(service, request.params.appid, request.body);
        return reply.code(answer.created ? 201 : 200).send(answer);
      },
    );

    api.delete<{ Params: { appid: string } }>('/dashboard/api/apps/:appid', async (request, reply) => {
      await removeApp(service, request.params.appid);
      return reply.code(204).send();
    });

    api.get('/dashboard/api/keys', async () => {
      const keys = await service.listClientKeys();
      return {
        keys: keys.map((k) => ({ name: k.name, apps: [...k.apps], capabilities: [...k.capabilities], created_at: k.createdAt, expires_at: k.expiresAt, last_used_at: k.lastUsedAt })),
      };
    });

    api.post<{ Body: CreateKeyBody }>('/dashboard/api/keys', { schema: { body: createKeyBodySchema } }, async (request, reply) => {
      const created = await createKey(service, request.body, clock.now());
      reply.header('cache-control', 'no-store');
      return reply.code(201).send(created);
    });

    api.delete<{ Params: { name: string } }>('/dashboard/api/keys/:name', async (request, reply) => {
      await revokeKey(service, request.params.name);
      return reply.code(204).send();
    });

    // Live updates: one server-sent event per credential change this instance hears of (its own refreshes and,
    // through the store, every other instance's), so every instance's dashboard is live.
    api.get('/dashboard/api/events', (request, reply) => {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
        'content-security-policy': DASHBOARD_CSP,
        'x-content-type-options': 'nosniff',
        // The connection ends with the stream: a long-lived response never returns its socket to keep-alive.
        connection: 'close',
      });
      res.write(`retry: 2000\nevent: hello\ndata: ${JSON.stringify({ now: clock.now() })}\n\n`);
      streams.add(res);
      const unsubscribe = activity.subscribe((event: ActivityEvent) => {
        res.write(`event: credential\ndata: ${JSON.stringify(event)}\n\n`);
      });
      let cancelHeartbeat = (): void => {};
      const beat = (): void => {
        res.write(': keep-alive\n\n');
        cancelHeartbeat = clock.setTimer(beat, options.heartbeatMs);
      };
      cancelHeartbeat = clock.setTimer(beat, options.heartbeatMs);
      const socket = request.raw.socket;
      res.on('close', () => {
        // The socket carried nothing but this stream: never leave it to keep-alive, where a server's close would
        // wait for it.
        socket.destroy();
        unsubscribe();
        cancelHeartbeat();
        streams.delete(res);
      });
    });
  }
}

/** Every Open Platform component's verify ticket: its health and age (null when none arrived); none without one. */
async function verifyTicketsOf(service: TokenService): Promise<Array<{ component_appid: string; health: string; age_seconds: number | null }>> {
  const open = openPlatformOf(service);
  if (!open) return [];
  return (await open.listComponents()).map((c) => ({
    component_appid: c.componentAppid,
    health: c.verifyTicket.health,
    age_seconds: 'ageMs' in c.verifyTicket ? Math.floor(c.verifyTicket.ageMs / 1000) : null,
  }));
}
