import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { AdminKeyCheck, sha256 } from './auth.js';
import { AuthGuard } from './auth-guard.js';
import { FailureThrottle } from './failure-throttle.js';
import { registerAdminRoutes } from './admin/admin-routes.js';
import { registerWeComAdminRoutes } from './admin/wecom-admin-routes.js';
import { registerDashboard } from './dashboard/routes.js';
import { registerPassthrough } from './compat/passthrough.js';
import { secretCallHandler } from './compat/secret-calls.js';
import type { UpstreamCallOptions } from './compat/upstream-call.js';
import { registerCompatTokenRoutes } from './compat/token-endpoints.js';
import { WeChatReplies } from './compat/wechat-reply.js';
import type { RouteContext } from './context.js';
import { handleApiError, handleNotFound, logFailure, sendFailure, toHttpFailure } from './error-handler.js';
import { registerHealthRoutes } from './health.js';
import { createNodeServer } from './http-server.js';
import { buildLoggerOptions } from './logging.js';
import { ServerMetrics } from './metrics.js';
import { registerOpenApi } from './openapi.js';
import { AUTH_THROTTLE_MAX_ADDRESSES, resolveServerOptions, type ServerOptions } from './options.js';
import { ExpiryFormatter } from './token-body.js';
import { registerAccessTokenRoutes } from './v1/access-token.js';
import { registerLoginProxyRoutes } from './v1/login-proxy.js';
import { openPlatformOf } from './open/context.js';
import { registerOpenPlatformRoutes } from './open/routes.js';
import { registerTicketRoutes } from './v1/tickets.js';
import { registerWeComRoutes } from './v1/wecom.js';
import { registerProxyRoutes } from './v1/proxy.js';
import { STABLE_TOKEN_PATH, TOKEN_PATH } from './compat/token-endpoints.js';
import { TokenVerifier } from './compat/token-verifier.js';
import { collectBody } from './upstream/collect-body.js';
import { HealingForwarder } from './upstream/healing-forwarder.js';
import { IssuedTokens } from './upstream/issued-tokens.js';

/** How often a closing server looks for keep-alive connections whose last request has finished. */
export const CLOSE_DRAIN_POLL_MS = 25;

/**
 * Makes close() resolve soon after the last in-flight request finishes. Node closes idle keep-alive connections
 * once, when close() starts; a connection whose request was still running then would otherwise stay open until
 * the client's or the server's keep-alive timeout (Fastify's is 72 s), holding shutdown back. Polling costs
 * nothing on the request path, which tracking in-flight responses would.
 */
function drainKeepAliveOnClose(app: FastifyInstance): void {
  let timer: NodeJS.Timeout | undefined;
  app.addHook('preClose', (done) => {
    timer = setInterval(() => app.server.closeIdleConnections(), CLOSE_DRAIN_POLL_MS);
    timer.unref();
    done();
  });
  app.addHook('onClose', (_app, done) => {
    clearInterval(timer);
    done();
  });
}

/** How often, at most, refused connections are logged: a flood would otherwise flood the log too. */
export const DROP_LOG_INTERVAL_MS = 60_000;

/** Logs, at most once a DROP_LOG_INTERVAL_MS, that connections are being refused at the connection cap. */
function logDroppedConnections(app: FastifyInstance, maxConnections: number, clock: { now(): number }): void {
  let lastLogged = -Infinity;
  let dropped = 0;
  app.server.on('drop', () => {
    dropped++;
    const now = clock.now();
    if (now - lastLogged < DROP_LOG_INTERVAL_MS) return;
    lastLogged = now;
    app.log.warn({ maxConnections, dropped }, 'refusing connections: the maximum number of open connections is reached');
    dropped = 0;
  });
}

/**
 * Builds the hub's HTTP app: the v1 client API, the admin API, the WeChat-compatible endpoints and passthrough,
 * health and metrics. It does not listen (the CLI does) and holds no token logic (the TokenService does).
 * Throws ConfigError on a bad option.
 */
export function createServer(options: ServerOptions): FastifyInstance {
  const opts = resolveServerOptions(options);
  const app = Fastify({
    logger: buildLoggerOptions(opts.logger),
    logController: new LogController({ disableRequestLogging: !opts.logRequests }),
    bodyLimit: opts.bodyLimitBytes,
    // `/cgi-bin/token/` must reach the hub's handler, never the passthrough (which also normalises what it
    // forwards). Not ignoreDuplicateSlashes: it costs a regex on every request.
    routerOptions: { ignoreTrailingSlash: true },
    // Fastify answers router-level failures (a malformed URL) here; keep the documented error shape.
    frameworkErrors: (err, request, reply) => {
      const failure = toHttpFailure(err);
      logFailure(request, failure, err);
      sendFailure(reply, failure);
    },
    // Unknown fields are refused, not silently dropped: a misspelt field must not be mistaken for an absent one.
    ajv: { customOptions: { allErrors: false, coerceTypes: false, removeAdditional: false } },
    serverFactory: (handler) => createNodeServer(handler, opts, opts.tls),
    // Only read by Fastify to print https:// addresses; the server itself comes from serverFactory.
    ...(opts.tls !== undefined && { https: {} as never }),
  });

  const metrics = opts.metrics
    ? new ServerMetrics({ events: opts.events, ops: opts.ops, credentials: opts.credentials, quota: opts.quota, clock: opts.clock, appLimit: opts.metricsAppLimit })
    : null;
  const throttle =
    opts.authFailureLimit === 0
      ? null
      : new FailureThrottle({ limit: opts.authFailureLimit, windowMs: opts.authFailureWindowMs, maxTracked: AUTH_THROTTLE_MAX_ADDRESSES, clock: opts.clock });
  const guard = new AuthGuard(throttle, metrics);
  const ctx: RouteContext = { service: opts.service, clock: opts.clock, metrics, expiry: new ExpiryFormatter(), guard };
  const upstream: UpstreamCallOptions = { upstreamBaseUrl: opts.upstreamBaseUrl, timeoutMs: opts.upstreamTimeoutMs, fetch: opts.fetch, clock: opts.clock };

  if (metrics !== null) {
    // One closure per route, holding its own counts: the hot path bumps a number, no label hashing, no raw URL.
    app.addHook('onRoute', (route) => {
      const count = metrics.routeCounter(route.url);
      const existing = route.onResponse === undefined ? [] : Array.isArray(route.onResponse) ? route.onResponse : [route.onResponse];
      route.onResponse = [
        ...existing,
        (request, reply, done) => {
          count(request.method, reply.statusCode);
          done();
        },
      ];
    });
    const countUnmatched = metrics.routeCounter('(unmatched)');
    app.setNotFoundHandler((request, reply) => {
      countUnmatched(request.method, 404);
      return handleNotFound(request, reply);
    });
    app.addHook('onClose', (_app, done) => {
      metrics.detach();
      done();
    });
  } else {
    app.setNotFoundHandler(handleNotFound);
  }
  app.setErrorHandler(handleApiError);
  drainKeepAliveOnClose(app);
  logDroppedConnections(app, opts.maxConnections, opts.clock);

  // First: @fastify/swagger records the routes registered after it.
  registerOpenApi(app, { passthroughPrefixes: opts.passthroughPrefixes });
  app.register(async (scope) => {
    registerHealthRoutes(scope, opts.service, metrics, opts.metricsKey === undefined ? null : { digest: sha256(opts.metricsKey), guard });
  });

  // The hub's own JSON API: JSON bodies only (no text/plain), so a wrong content-type is a clean 400.
  app.register(async (scope) => {
    scope.removeContentTypeParser('text/plain');
    registerAccessTokenRoutes(scope, ctx);
    registerTicketRoutes(scope, ctx);
    registerLoginProxyRoutes(scope, ctx, upstream);
    registerWeComRoutes(scope, ctx);
  });
  app.register(async (scope) => {
    scope.removeContentTypeParser('text/plain');
    registerAdminRoutes(scope, ctx, new AdminKeyCheck(opts.adminKey));
    registerWeComAdminRoutes(scope, ctx);
  });

  const adminKey = opts.adminKey;
  if (adminKey !== undefined && opts.dashboard.enabled) {
    app.register(async (scope) => {
      // In the scope, not on the root: a route added to the root now would be added before the OpenAPI plugin
      // (registered asynchronously) could record it.
      scope.get('/', (_request, reply) => reply.redirect('/dashboard', 302));
      await registerDashboard(scope, {
        service: opts.service,
        events: opts.events,
        clock: opts.clock,
        guard,
        adminKey,
        options: opts.dashboard,
        upstream: { baseUrl: opts.upstreamBaseUrl, fetch: opts.fetch, timeoutMs: opts.upstreamTimeoutMs },
      });
    });
  }

  const open = openPlatformOf(opts.service);
  if (open !== null) registerOpenPlatformRoutes(app, ctx, new AdminKeyCheck(opts.adminKey), open, opts.random, opts.clock);

  // Calls forwarded to WeChat (passthrough and proxy) share one forwarder and one memory of issued tokens.
  // (main's `upstream`, a buffered call, stays for the login proxy and the secret-bearing calls.)
  const forwarding = { ...upstream, service: opts.service };
  const forwarder = new HealingForwarder({ ...forwarding, replayBodyLimitBytes: opts.replayBodyLimitBytes, bodyLimitBytes: opts.passthroughBodyLimitBytes });
  const issued = new IssuedTokens(opts.service, opts.clock);
  const verifier = opts.tokenCheckIntervalMs === 0 ? null : new TokenVerifier({ ...forwarding, intervalMs: opts.tokenCheckIntervalMs });

  // The proxy: bodies are streamed to WeChat, never parsed or held whole (upstream/healing-forwarder.ts). Its
  // wildcard loses to the login proxy's static routes (v1/login-proxy.ts) for their GETs.
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    registerProxyRoutes(scope, ctx, { forwarder, prefixes: opts.passthroughPrefixes });
  });

  // WeChat-compatible surface: the token endpoints read their (small) bodies whole; everything else is streamed
  // to WeChat byte for byte by the passthrough.
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (request, payload, done) => {
      const url = request.routeOptions.url;
      if (url !== TOKEN_PATH && url !== STABLE_TOKEN_PATH) return done(null, payload);
      collectBody(payload, opts.bodyLimitBytes).then((body) => done(null, body), (err: Error) => done(err));
    });
    const replies = new WeChatReplies(opts.clock, opts.random);
    const tokenHandler = registerCompatTokenRoutes(scope, ctx, replies, opts.random, { issued, verifier });
    // Secret-bearing calls keep main's buffered call (upstream-call.ts): they carry an AppSecret, never a token to heal.
    const secretCalls = secretCallHandler(ctx, replies, { upstream, allowCallerSecret: opts.allowCallerSecret });
    registerPassthrough(
      scope,
      {
        prefixes: opts.passthroughPrefixes,
        clock: opts.clock,
        forwarder,
        wecomUpstreamBaseUrl: opts.wecomUpstreamBaseUrl,
        issued,
        bufferedBodyLimitBytes: opts.bodyLimitBytes,
        service: opts.service,
      },
      replies,
      tokenHandler,
      secretCalls,
    );
  });

  return app;
}
