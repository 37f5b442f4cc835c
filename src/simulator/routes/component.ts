import type { FastifyInstance } from 'fastify';
import { sleep } from '../../util/clock.js';
import {
  authorizerToken,
  componentOwner,
  componentToken,
  createPreAuthCode,
  getAuthorizerList,
  queryAuth,
  startPushTicket,
} from '../endpoints/component.js';
import type { EndpointResult, WeChatRequest } from '../endpoints/request.js';
import type { SimulatorState } from '../state.js';

/** The Open Platform endpoints by path. */
const COMPONENT_ENDPOINTS: ReadonlyArray<readonly [string, (state: SimulatorState, request: WeChatRequest) => EndpointResult]> = [
  ['/cgi-bin/component/api_component_token', componentToken],
  ['/cgi-bin/component/api_start_push_ticket', startPushTicket],
  ['/cgi-bin/component/api_create_preauthcode', createPreAuthCode],
  ['/cgi-bin/component/api_query_auth', queryAuth],
  ['/cgi-bin/component/api_authorizer_token', authorizerToken],
  ['/cgi-bin/component/api_get_authorizer_list', getAuthorizerList],
];

/**
 * Serves the Open Platform endpoints (POST only; other methods get 43002) with the simulator's added latency and
 * `errcode` / `delay` faults matched on the component appid. api_authorizer_token requests are counted in flight
 * per component, so tests can check a hub's bound on concurrent refreshes.
 */
export function registerComponentRoutes(app: FastifyInstance, state: SimulatorState, closing: AbortSignal): void {
  for (const [url, handle] of COMPONENT_ENDPOINTS) {
    app.route({
      method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      url,
      handler: async (request, reply) => {
        const wechatRequest = toRequest(request.method, request.query, request.body, request.ip);
        if (request.method !== 'POST') return reply.send(state.error(43002));
        const owner = componentOwner(state, wechatRequest);
        const component = state.components.get(owner);
        const counted = url.endsWith('api_authorizer_token') ? component?.counters : undefined;
        if (counted) {
          counted.inFlightAuthorizerTokenFetches += 1;
          counted.maxConcurrentAuthorizerTokenFetches = Math.max(counted.maxConcurrentAuthorizerTokenFetches, counted.inFlightAuthorizerTokenFetches);
        }
        try {
          const fault = state.faults.take(url, owner);
          const delay = state.options.latencyMs + (fault?.mode === 'delay' ? fault.delayMs : 0);
          if (delay > 0) await sleep(state.options.clock, delay, closing);
          if (fault?.mode === 'errcode') return reply.send(state.error(fault.errcode));
          return reply.send(handle(state, wechatRequest));
        } finally {
          if (counted) counted.inFlightAuthorizerTokenFetches -= 1;
        }
      },
    });
  }
}

function toRequest(method: string, rawQuery: unknown, body: unknown, ip: string): WeChatRequest {
  const query: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries((rawQuery ?? {}) as Record<string, unknown>)) {
    const first = Array.isArray(value) ? value[0] : value;
    query[key] = typeof first === 'string' ? first : undefined;
  }
  return { method, query, body: typeof body === 'string' ? body : undefined, ip };
}
