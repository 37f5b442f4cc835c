import type { FastifyInstance, FastifyRequest } from 'fastify';
import { InvalidRequestError } from '../../errors/index.js';
import { parseJsonObject } from '../endpoints/request.js';
import type { ComponentInput } from '../open-platform/components.js';
import type { SimulatorState } from '../state.js';
import { CONTROL_PREFIX } from './control.js';

/**
 * Control API for the Open Platform (docs/simulator.md): register components, push tickets and events, authorize
 * one authorizer (redirect and/or event) or many at once, unauthorize, freeze, and read counters. Shows tickets,
 * codes and refresh tokens (tests need them), never secrets.
 */
export function registerComponentControlRoutes(app: FastifyInstance, state: SimulatorState): void {
  const p = `${CONTROL_PREFIX}/components`;
  type Id = { Params: { id: string } };
  type Auth = { Params: { id: string; appid: string } };

  app.post(p, async (request, reply) => {
    const result = state.components.register(jsonBody(request) as unknown as ComponentInput);
    state.pusher.schedule(state.components.require(result.appid));
    return reply.code(result.created ? 201 : 200).send(result);
  });
  app.get(p, async () => ({ components: state.components.all().map((c) => ({ appid: c.appid, pushUrl: c.pushUrl ?? null, authorizers: c.authorizers.size })) }));

  // Pushes a verify ticket now: a new one, or the current one again with {"repeat": true}.
  app.post<Id>(`${p}/:id/push-ticket`, async (request) => {
    const body = optionalBody(request);
    return state.pusher.pushTicket(state.components.require(request.params.id), body.repeat === true ? true : body.repeat === false ? false : undefined);
  });
  app.get<Id>(`${p}/:id/tickets`, async (request) => ({ tickets: state.components.require(request.params.id).tickets }));

  // A merchant authorizes: {authorizerAppid, preAuthCode?, deliver?: "redirect" | "event" | "both"} (default both).
  app.post<Id>(`${p}/:id/authorize`, async (request, reply) => {
    const component = state.components.require(request.params.id);
    const body = jsonBody(request);
    const deliver = body.deliver ?? 'both';
    if (deliver !== 'redirect' && deliver !== 'event' && deliver !== 'both') throw new InvalidRequestError('deliver must be redirect, event or both');
    const result = state.components.authorize(component, body as { authorizerAppid: string; preAuthCode?: string });
    const infoType = result.update ? 'updateauthorized' : 'authorized';
    const event =
      deliver === 'redirect'
        ? undefined
        : await state.pusher.push(component, infoType, {
            AuthorizerAppid: String(body.authorizerAppid),
            AuthorizationCode: result.authCode,
            AuthorizationCodeExpiredTime: Math.floor(state.now() / 1000) + result.expiresIn,
            PreAuthCode: typeof body.preAuthCode === 'string' ? body.preAuthCode : '',
          });
    return reply.code(201).send({ ...result, infoType, redirectQuery: deliver === 'event' ? null : `auth_code=${encodeURIComponent(result.authCode)}&expires_in=${result.expiresIn}`, event: event ?? null });
  });
  // Many authorizers at once: {count, prefix?, exchanged?}; with exchanged, refresh tokens are issued as by api_query_auth.
  app.post<Id>(`${p}/:id/authorize-many`, async (request, reply) => {
    const body = jsonBody(request);
    return reply.code(201).send({ authorizers: state.components.authorizeMany(state.components.require(request.params.id), body as { count: number; prefix?: string; exchanged?: boolean }) });
  });
  app.post<Auth>(`${p}/:id/authorizers/:appid/unauthorize`, async (request) => {
    const component = state.components.require(request.params.id);
    state.components.unauthorize(component, request.params.appid);
    const event = await state.pusher.push(component, 'unauthorized', { AuthorizerAppid: request.params.appid });
    return { unauthorized: request.params.appid, event };
  });
  // Another system exchanges a code for this authorizer: {overlapSeconds?} (default 300) for the old refresh token.
  app.post<Auth>(`${p}/:id/authorizers/:appid/rotate-refresh-token`, async (request) => {
    const overlap = optionalBody(request).overlapSeconds;
    if (overlap !== undefined && (typeof overlap !== 'number' || !(overlap >= 0))) throw new InvalidRequestError('overlapSeconds must be a non-negative number');
    const component = state.components.require(request.params.id);
    return { refreshToken: state.components.rotateRefreshToken(component, request.params.appid, overlap === undefined ? undefined : overlap * 1000) };
  });
  app.post<Auth>(`${p}/:id/authorizers/:appid/freeze`, async (request) => {
    const frozen = optionalBody(request).frozen !== false;
    state.components.setFrozen(state.components.require(request.params.id), request.params.appid, frozen);
    return { appid: request.params.appid, frozen };
  });
  app.get<Auth>(`${p}/:id/authorizers/:appid`, async (request) => {
    const a = state.components.require(request.params.id).authorizers.get(request.params.appid);
    if (!a) throw new InvalidRequestError(`no authorizer ${request.params.appid}`);
    return { appid: a.appid, authorized: a.authorized, refreshToken: a.refreshToken, frozen: a.frozen, authTime: a.authTime };
  });
  app.get<Id>(`${p}/:id/counters`, async (request) => state.components.counters(state.components.require(request.params.id)));
  app.post<Id>(`${p}/:id/counters/reset`, async (request) => {
    const component = state.components.require(request.params.id);
    state.components.resetCounters(component);
    return state.components.counters(component);
  });
}

function jsonBody(request: FastifyRequest): Record<string, unknown> {
  const body = parseJsonObject(typeof request.body === 'string' ? request.body : undefined);
  if (!body) throw new InvalidRequestError('the request body must be a JSON object');
  return body;
}

function optionalBody(request: FastifyRequest): Record<string, unknown> {
  return parseJsonObject(typeof request.body === 'string' ? request.body : undefined) ?? {};
}
