import type { FastifyInstance } from 'fastify';
import type { WeComService } from '../../core/token-service.js';
import { AppNotFoundError } from '../../errors/index.js';
import { wecomOf } from '../v1/wecom.js';
import { wecomAgentId } from '../../core/principals.js';
import type { RouteContext } from '../context.js';
import { tokenBodySchema, type TokenBody } from '../token-body.js';
import { credentialStatusBody, credentialStatusProperties } from './admin-routes.js';

interface AgentParams {
  corpid: string;
  agent: string;
}

const agentStatusSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['corpid', 'agent', ...Object.keys(credentialStatusProperties)],
  properties: { corpid: { type: 'string' }, agent: { type: 'string' }, ...credentialStatusProperties },
} as const;

const putAgentBodySchema = {
  type: 'object',
  required: ['secret'],
  properties: { secret: { type: 'string', minLength: 1, maxLength: 256 } },
} as const;

const putAgentResponseSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['corpid', 'agent', 'created'],
  properties: { corpid: { type: 'string' }, agent: { type: 'string' }, created: { type: 'boolean' } },
} as const;

/**
 * The admin API of WeCom apps: list, register (or change the secret of), remove and force-refresh. Registered in
 * the admin scope, behind its admin-key check.
 */
export function registerWeComAdminRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { service, clock, expiry } = ctx;
  const wecom = (): WeComService => wecomOf(service);

  app.get('/v1/wecom', { schema: { response: { 200: { type: 'object', required: ['agents'], properties: { agents: { type: 'array', items: agentStatusSchema } } } } } }, async () => ({
    agents: wecom()
      .list()
      .map((s) => ({ corpid: s.corpid, agent: s.agent, ...credentialStatusBody(s) })),
  }));

  app.put<{ Params: AgentParams; Body: { secret: string } }>(
    '/v1/wecom/:corpid/:agent',
    { schema: { body: putAgentBodySchema, response: { 200: putAgentResponseSchema, 201: putAgentResponseSchema } } },
    async (request, reply) => {
      const { corpid, agent } = request.params;
      const { created } = await wecom().put(corpid, agent, { secret: request.body.secret });
      return reply.code(created ? 201 : 200).send({ corpid, agent, created });
    },
  );

  app.delete<{ Params: AgentParams }>('/v1/wecom/:corpid/:agent', async (request, reply) => {
    const { corpid, agent } = request.params;
    if (!(await wecom().remove(corpid, agent))) throw new AppNotFoundError(wecomAgentId(corpid, agent), `WeCom app ${wecomAgentId(corpid, agent)}`);
    return reply.code(204).send();
  });

  app.post<{ Params: AgentParams }>(
    '/v1/wecom/:corpid/:agent/refresh',
    { schema: { response: { 200: tokenBodySchema } } },
    async (request, reply): Promise<TokenBody> => {
      const { corpid, agent } = request.params;
      const issued = await wecom().refresh(corpid, agent);
      reply.header('cache-control', 'no-store');
      return expiry.body(issued, clock.now());
    },
  );
}
