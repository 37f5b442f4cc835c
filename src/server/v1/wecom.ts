import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { KeyAction, Resource } from '../../core/key-scope.js';
import type { TokenService, WeComService } from '../../core/token-service.js';
import { NotFoundError } from '../../errors/index.js';
import { WECOM_TICKET_TYPES, type WeComTicketType } from '../../wechat/index.js';
import { authorizeResource } from '../auth.js';
import type { RouteContext } from '../context.js';
import { secondsLeft, tokenBodySchema, type TokenBody } from '../token-body.js';
import { invalidateBodySchema } from './access-token.js';
import { jssdkConfigRequestSchema, ticketBodySchema } from './tickets.js';

interface AgentParams {
  corpid: string;
  agent: string;
}

const signedSchema = (extra: Record<string, { type: string }>, required: readonly string[]) =>
  ({
    type: 'object',
    required: [...required, 'timestamp', 'nonceStr', 'signature'],
    properties: { ...extra, timestamp: { type: 'integer' }, nonceStr: { type: 'string' }, signature: { type: 'string' } },
    additionalProperties: false,
  }) as const;

const wecomJssdkConfigSchema = {
  type: 'object',
  required: ['config', 'agentConfig'],
  properties: {
    config: signedSchema({ appId: { type: 'string' } }, ['appId']),
    agentConfig: signedSchema({ corpid: { type: 'string' }, agentid: { type: 'integer' } }, ['corpid', 'agentid']),
    jsApiList: { type: 'array', items: { type: 'string' } },
  },
  additionalProperties: false,
} as const;

/** The service's WeCom side; 404 `not_found` on a service that holds no WeCom apps. */
export function wecomOf(service: TokenService): WeComService {
  if (!service.wecom) throw new NotFoundError('this hub serves no WeCom apps');
  return service.wecom;
}

/**
 * The client API for WeCom apps, the same shapes as for Official Account apps under `/v1/wecom/{corpid}/{agent}`:
 * the app's token (and its invalidation), its two JS-SDK tickets, and the signed configs a page needs. Keys are
 * scoped with `wecom:<corpid>/<agent>` or `wecom:<corpid>/*`; reading needs `read-token`, signing `sign`.
 */
export function registerWeComRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { service, clock, expiry, guard, metrics } = ctx;
  const wecom = (): WeComService => wecomOf(service);
  const resource = (params: AgentParams) => (): Resource => ({ type: 'wecom', corpid: params.corpid, agentid: params.agent });
  // Authenticate before the body is read or validated: strangers get 401, not hints about the body.
  const authorize =
    (action: KeyAction) =>
    (request: FastifyRequest<{ Params: AgentParams }>, _reply: FastifyReply, done: (err?: Error) => void): void => {
      try {
        authorizeResource(service, request, resource(request.params), guard, action);
        done();
      } catch (err) {
        done(err as Error);
      }
    };
  const tokenBody = (reply: FastifyReply, corpid: string, agent: string, issued: { token: string; expiresAt: number }): TokenBody => {
    metrics?.tokenRead(`wecom:${corpid}/${agent}`, 'v1');
    reply.header('cache-control', 'no-store');
    return expiry.body(issued, clock.now());
  };

  app.get<{ Params: AgentParams }>(
    '/v1/wecom/:corpid/:agent/access-token',
    { onRequest: authorize('read-token'), schema: { response: { 200: tokenBodySchema } } },
    async (request, reply) => {
      const { corpid, agent } = request.params;
      return tokenBody(reply, corpid, agent, await wecom().getToken(corpid, agent));
    },
  );

  app.post<{ Params: AgentParams; Body: { access_token: string } }>(
    '/v1/wecom/:corpid/:agent/access-token/invalidate',
    { onRequest: authorize('read-token'), schema: { body: invalidateBodySchema, response: { 200: tokenBodySchema } } },
    async (request, reply) => {
      const { corpid, agent } = request.params;
      return tokenBody(reply, corpid, agent, await wecom().invalidate(corpid, agent, request.body.access_token));
    },
  );

  app.get<{ Params: AgentParams & { type: string } }>(
    '/v1/wecom/:corpid/:agent/tickets/:type',
    {
      onRequest: authorize('read-token'),
      schema: {
        params: { type: 'object', properties: { corpid: { type: 'string' }, agent: { type: 'string' }, type: { type: 'string', enum: [...WECOM_TICKET_TYPES] } } },
        response: { 200: ticketBodySchema },
      },
    },
    async (request, reply) => {
      const { corpid, agent, type } = request.params;
      const issued = await wecom().getTicket(corpid, agent, type as WeComTicketType);
      reply.header('cache-control', 'no-store');
      return { ticket: issued.token, expires_in: secondsLeft(issued.expiresAt, clock.now()), expires_at: expiry.iso(issued.expiresAt), age_known: issued.ageKnown };
    },
  );

  app.post<{ Params: AgentParams; Body: { url: string; jsApiList?: string[] } }>(
    '/v1/wecom/:corpid/:agent/jssdk-config',
    { onRequest: authorize('sign'), schema: { body: jssdkConfigRequestSchema, response: { 200: wecomJssdkConfigSchema } } },
    async (request, reply) => {
      const { corpid, agent } = request.params;
      const signed = await wecom().signJsSdkConfig(corpid, agent, request.body.url);
      reply.header('cache-control', 'no-store');
      return request.body.jsApiList === undefined ? signed : { ...signed, jsApiList: request.body.jsApiList };
    },
  );
}
