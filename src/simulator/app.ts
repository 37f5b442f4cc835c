import Fastify, { type FastifyInstance } from 'fastify';
import { WxTokenError } from '../errors/index.js';
import { BUSINESS_ROUTES } from './routes/business.js';
import { registerComponentControlRoutes } from './routes/component-control.js';
import { registerComponentRoutes } from './routes/component.js';
import { registerControlRoutes } from './routes/control.js';
import { CREDENTIAL_ROUTES } from './routes/credential.js';
import { LOGIN_ROUTES } from './routes/login.js';
import { registerWeChatRoute } from './routes/wechat-route.js';
import type { SimulatorState } from './state.js';

/**
 * Builds the simulator's Fastify app over `state`. `closing` aborts pending latency waits and hanging requests when
 * the simulator shuts down.
 */
export function buildSimulatorApp(state: SimulatorState, closing: AbortSignal): FastifyInstance {
  const app = Fastify({
    logger: withRedactedUrls(state.options.logger) as boolean,
    // A `hang` fault keeps its socket open forever; close() must not wait for it.
    forceCloseConnections: true,
  });

  // WeChat answers a malformed body with 47001 rather than HTTP 400, so every body arrives as raw text and each
  // endpoint decides what it means.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  app.setErrorHandler((err, _request, reply) => {
    if (err instanceof WxTokenError) return reply.code(err.status).send({ error: err.toJSON() });
    const status = typeof (err as { statusCode?: unknown }).statusCode === 'number' ? (err as { statusCode: number }).statusCode : 500;
    return reply.code(status).send({ error: { code: 'internal', message: status === 500 ? 'internal error' : (err as Error).message } });
  });

  for (const route of [...CREDENTIAL_ROUTES, ...LOGIN_ROUTES, ...BUSINESS_ROUTES]) registerWeChatRoute(app, state, closing, route);
  registerComponentRoutes(app, state, closing);
  registerControlRoutes(app, state);
  registerComponentControlRoutes(app, state);
  return app;
}

// Secrets, and the user login codes the /sns endpoints take, which are as good as a session while unused.
const SECRET_PARAM = /\b(secret|corpsecret|appsecret|js_code|code)=[^&]*/gi;

/** Fastify's logger option with request URLs stripped of the secrets /cgi-bin/token and friends carry in the query. */
function withRedactedUrls(logger: boolean | object): boolean | object {
  if (logger === false) return false;
  const base = logger === true ? {} : (logger as { serializers?: object });
  return {
    ...base,
    serializers: {
      ...base.serializers,
      req: (req: { method: string; url: string; ip?: string }) => ({
        method: req.method,
        url: req.url.replace(SECRET_PARAM, '$1=[redacted]'),
        remoteAddress: req.ip,
      }),
    },
  };
}
