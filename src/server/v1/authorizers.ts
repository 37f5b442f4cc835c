import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { OpenPlatform } from '../../core/open-platform/open-platform.js';
import { validateOpenAppid } from '../../core/open-platform/ids.js';
import { TICKET_TYPES, type TicketType } from '../../wechat/index.js';
import { InvalidRequestError } from '../../errors/index.js';
import type { KeyAction } from '../../core/key-scope.js';
import type { RouteContext } from '../context.js';
import { assertOpenAccess, authorizeOpenClient } from '../open/context.js';
import { secondsLeft, tokenBodySchema, type TokenBody } from '../token-body.js';

interface AuthorizerParams {
  appid: string;
}
interface AuthorizerQuery {
  component?: string;
}

const invalidateBodySchema = {
  type: 'object',
  required: ['access_token'],
  properties: { access_token: { type: 'string', minLength: 1, maxLength: 2048 } },
} as const;

const jssdkBodySchema = {
  type: 'object',
  required: ['url'],
  properties: { url: { type: 'string', minLength: 1, maxLength: 8192 } },
  additionalProperties: false,
} as const;

/**
 * The client API of Open Platform authorizers: the access token (read, report), JS-SDK / card tickets and a
 * signed `wx.config`. A key scoped to `component:<c>/<appid>` or `component:<c>/*` may use them; `?component=`
 * names the component when the appid is authorized to several (default: the one it is active with). Component
 * tokens: `GET /v1/components/{component_appid}/access-token` for keys scoped to `component:<c>`.
 */
export function registerAuthorizerRoutes(app: FastifyInstance, ctx: RouteContext, open: OpenPlatform): void {
  const { service, clock, expiry, guard } = ctx;

  async function resolve(appid: string, component: string | undefined): Promise<string> {
    validateOpenAppid('authorizer appid', appid);
    if (component !== undefined) {
      validateOpenAppid('component appid', component);
      return component;
    }
    return open.componentOf(appid);
  }

  /**
   * The component of the authorizer a request names, once its key is known to cover it. The key is authenticated
   * (once) before the component is looked up: strangers learn nothing about which appids exist.
   */
  async function authorizedComponent(request: FastifyRequest, appid: string, component: string | undefined, action: KeyAction): Promise<string> {
    const identity = authorizeOpenClient(service, request, null, guard, action);
    const componentAppid = await resolve(appid, component);
    assertOpenAccess(identity, { type: 'authorizer', componentAppid, appid }, action);
    return componentAppid;
  }

  app.get<{ Params: AuthorizerParams; Querystring: AuthorizerQuery }>(
    '/v1/authorizers/:appid/access-token',
    { schema: { response: { 200: tokenBodySchema } } },
    async (request, reply): Promise<TokenBody> => {
      const { appid } = request.params;
      const componentAppid = await authorizedComponent(request, appid, request.query.component, 'read-token');
      reply.header('cache-control', 'no-store');
      return expiry.body(await open.authorizerToken(componentAppid, appid), clock.now());
    },
  );

  app.post<{ Params: AuthorizerParams; Querystring: AuthorizerQuery; Body: { access_token: string } }>(
    '/v1/authorizers/:appid/access-token/invalidate',
    { schema: { body: invalidateBodySchema, response: { 200: tokenBodySchema } } },
    async (request, reply): Promise<TokenBody> => {
      const { appid } = request.params;
      const componentAppid = await authorizedComponent(request, appid, request.query.component, 'read-token');
      reply.header('cache-control', 'no-store');
      return expiry.body(await open.invalidateAuthorizerToken(componentAppid, appid, request.body.access_token), clock.now());
    },
  );

  app.get<{ Params: AuthorizerParams & { type: string }; Querystring: AuthorizerQuery }>('/v1/authorizers/:appid/tickets/:type', async (request, reply) => {
    const { appid, type } = request.params;
    const componentAppid = await authorizedComponent(request, appid, request.query.component, 'read-token');
    if (!(TICKET_TYPES as readonly string[]).includes(type)) throw new InvalidRequestError(`ticket type must be one of ${TICKET_TYPES.join(', ')}`);
    const ticket = await open.authorizerTicket(componentAppid, appid, type as TicketType);
    reply.header('cache-control', 'no-store');
    const now = clock.now();
    return { ticket: ticket.token, expires_in: secondsLeft(ticket.expiresAt, now), expires_at: new Date(ticket.expiresAt).toISOString(), age_known: ticket.ageKnown };
  });

  app.post<{ Params: AuthorizerParams; Querystring: AuthorizerQuery; Body: { url: string } }>(
    '/v1/authorizers/:appid/jssdk-config',
    { schema: { body: jssdkBodySchema } },
    async (request, reply) => {
      const { appid } = request.params;
      const componentAppid = await authorizedComponent(request, appid, request.query.component, 'sign');
      reply.header('cache-control', 'no-store');
      return open.signJsSdkConfig(componentAppid, appid, request.body.url);
    },
  );

  app.get<{ Params: { component_appid: string } }>(
    '/v1/components/:component_appid/access-token',
    { schema: { response: { 200: tokenBodySchema } } },
    async (request, reply): Promise<TokenBody> => {
      const { component_appid: componentAppid } = request.params;
      authorizeOpenClient(service, request, { type: 'component', componentAppid }, guard);
      reply.header('cache-control', 'no-store');
      return expiry.body(await open.componentToken(componentAppid), clock.now());
    },
  );
}
