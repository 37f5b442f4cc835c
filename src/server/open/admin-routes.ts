import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthorizerInfo, ComponentStatus, OpenPlatform } from '../../core/open-platform/open-platform.js';
import type { AdminKeyCheck } from '../auth.js';
import type { RouteContext } from '../context.js';

interface ComponentParams {
  component_appid: string;
}

const putComponentBodySchema = {
  type: 'object',
  required: ['secret', 'message_token', 'aes_key'],
  properties: {
    secret: { type: 'string', minLength: 1, maxLength: 256 },
    message_token: { type: 'string', minLength: 1, maxLength: 64 },
    aes_key: { type: 'string', minLength: 1, maxLength: 64 },
    landing_url: { type: 'string', minLength: 1, maxLength: 2048 },
  },
  additionalProperties: false,
} as const;

function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}

/** A component as the admin API shows it: no secret, no token, no ticket value. */
export function componentBody(c: ComponentStatus): Record<string, unknown> {
  const t = c.verifyTicket;
  return {
    component_appid: c.componentAppid,
    verify_ticket:
      'createdAt' in t ? { health: t.health, created_at: iso(t.createdAt), received_at: iso(t.receivedAt), age_seconds: Math.floor(t.ageMs / 1000) } : { health: t.health },
    token: c.token
      ? {
          state: c.token.state,
          expires_at: iso(c.token.tokenExpiresAt),
          last_refresh_at: iso(c.token.lastRefreshAt),
          next_attempt_at: iso(c.token.nextAttemptAt),
          last_error: c.token.lastError ? { ...c.token.lastError, at: iso(c.token.lastError.at) } : null,
        }
      : null,
    last_authorization_failure: c.lastAuthorizationFailure
      ? { at: iso(c.lastAuthorizationFailure.at), errcode: c.lastAuthorizationFailure.errcode, source: c.lastAuthorizationFailure.source }
      : null,
    created_at: iso(c.createdAt),
  };
}

/** An authorizer as the admin API shows it: no refresh token, only whether one is held. */
export function authorizerBody(a: AuthorizerInfo): Record<string, unknown> {
  return {
    component_appid: a.componentAppid,
    authorizer_appid: a.authorizerAppid,
    status: a.status,
    reason: a.reason,
    status_at: iso(a.statusAt),
    refresh_token_held: a.refreshTokenHeld,
    func_scopes: a.funcScopes,
  };
}

/**
 * The admin API of the Open Platform (admin key): register components (secret, message token and EncodingAESKey
 * in the body, sealed at rest), list them with their verify ticket's age, create authorization links, list
 * authorizers with filtering and paging, and reconcile with WeChat's authorizer list.
 */
export function registerOpenAdminRoutes(app: FastifyInstance, ctx: RouteContext, admin: AdminKeyCheck, open: OpenPlatform): void {
  const { guard } = ctx;
  const onRequest = (request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void => {
    try {
      admin.assert(request, guard);
      done();
    } catch (err) {
      done(err as Error);
    }
  };

  app.put<{ Params: ComponentParams; Body: { secret: string; message_token: string; aes_key: string; landing_url?: string } }>(
    '/v1/components/:component_appid',
    { onRequest, schema: { body: putComponentBodySchema } },
    async (request, reply) => {
      const { secret, message_token: messageToken, aes_key: aesKey, landing_url: landingUrl } = request.body;
      const { created } = await open.putComponent(request.params.component_appid, { secret, messageToken, aesKey, ...(landingUrl !== undefined && { landingUrl }) });
      return reply.code(created ? 201 : 200).send({ component_appid: request.params.component_appid, created });
    },
  );

  app.get('/v1/components', { onRequest }, async () => ({ components: (await open.listComponents()).map(componentBody) }));

  app.delete<{ Params: ComponentParams }>('/v1/components/:component_appid', { onRequest }, async (request, reply) => {
    const removed = await open.removeComponent(request.params.component_appid);
    return reply.code(removed ? 204 : 404).send(removed ? undefined : { error: { code: 'not_found', message: `component ${request.params.component_appid} is not registered` } });
  });

  app.get<{ Params: ComponentParams; Querystring: { redirect_uri?: string; auth_type?: string; biz_appid?: string } }>(
    '/v1/components/:component_appid/authorize-url',
    { onRequest },
    async (request, reply) => {
      const { redirect_uri: redirectUri, auth_type: authType, biz_appid: bizAppid } = request.query;
      const links = await open.authorizeUrl(request.params.component_appid, String(redirectUri ?? ''), {
        ...(authType !== undefined && { authType: Number(authType) }),
        ...(bizAppid !== undefined && { bizAppid }),
      });
      reply.header('cache-control', 'no-store');
      return { pc_url: links.pcUrl, mobile_url: links.mobileUrl, expires_at: iso(links.preAuthCodeExpiresAt) };
    },
  );

  app.post<{ Params: ComponentParams }>('/v1/components/:component_appid/reconcile', { onRequest }, async (request) => {
    const r = await open.reconcile(request.params.component_appid);
    return { component_appid: r.componentAppid, listed: r.listed, adopted: r.adopted, needs_exchange: r.needsExchange, unauthorized: r.unauthorized, unchanged: r.unchanged };
  });

  app.get<{ Querystring: { component?: string; status?: string; offset?: string; limit?: string } }>('/v1/authorizers', { onRequest }, async (request) => {
    const { component, status, offset, limit } = request.query;
    const page = await open.listAuthorizers({
      ...(component !== undefined && { componentAppid: component }),
      ...(status !== undefined && { status }),
      ...(offset !== undefined && { offset: Number(offset) }),
      ...(limit !== undefined && { limit: Number(limit) }),
    });
    return { total: page.total, authorizers: page.authorizers.map(authorizerBody) };
  });
}
