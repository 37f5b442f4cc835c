import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authorizeClient } from '../auth.js';
import type { RouteContext } from '../context.js';
import { tokenBodySchema, type TokenBody } from '../token-body.js';

interface AppParams {
  appid: string;
}

/** The body of an invalidate request: the token upstream rejected. */
export const invalidateBodySchema = {
  type: 'object',
  required: ['access_token'],
  properties: { access_token: { type: 'string', minLength: 1, maxLength: 2048 } },
} as const;

/**
 * The client API: read an app's token (the hot path) and report a token WeChat rejected. Both need a client key
 * scoped to the app. Tokens are never cacheable by intermediaries.
 */
export function registerAccessTokenRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { service, clock, metrics, expiry, guard } = ctx;

  // The hot path: a synchronous key check, then, when the token is in memory (nearly always), a synchronous
  // reply with a body serialised at most once a second; otherwise one service call. No hooks, no schema
  // validation (the appid check is one regex), no logging.
  app.get<{ Params: AppParams }>(
    '/v1/apps/:appid/access-token',
    { schema: { response: { 200: tokenBodySchema } } },
    (request, reply): FastifyReply | Promise<TokenBody> => {
      const appid = request.params.appid;
      authorizeClient(service, request, appid, guard);
      reply.header('cache-control', 'no-store');
      const held = service.currentToken?.(appid);
      if (held) {
        metrics?.tokenRead(appid, 'v1');
        return reply.type('application/json; charset=utf-8').send(expiry.json(held, clock.now()));
      }
      return service.getAccessToken(appid).then((issued) => {
        metrics?.tokenRead(appid, 'v1');
        return expiry.body(issued, clock.now());
      });
    },
  );

  app.post<{ Params: AppParams; Body: { access_token: string } }>(
    '/v1/apps/:appid/access-token/invalidate',
    {
      // Authenticate before the body is read or validated: strangers get 401, not hints about the body.
      onRequest: (request: FastifyRequest<{ Params: AppParams }>, _reply: FastifyReply, done: (err?: Error) => void) => {
        try {
          authorizeClient(service, request, request.params.appid, guard);
          done();
        } catch (err) {
          done(err as Error);
        }
      },
      schema: { body: invalidateBodySchema, response: { 200: tokenBodySchema } },
    },
    async (request, reply): Promise<TokenBody> => {
      const appid = request.params.appid;
      const issued = await service.invalidate(appid, request.body.access_token);
      metrics?.tokenRead(appid, 'v1');
      reply.header('cache-control', 'no-store');
      return expiry.body(issued, clock.now());
    },
  );
}
