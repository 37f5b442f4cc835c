import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { sleep } from '../../util/clock.js';
import type { FetchKind } from '../counters.js';
import type { Fault } from '../faults.js';
import type { EndpointResult, WeChatRequest } from '../endpoints/request.js';
import type { SimulatorState } from '../state.js';

/** One WeChat endpoint: how to find whom a request is for, and the pure logic that answers it. */
export interface WeChatRoute {
  readonly url: string;
  readonly methods: HTTPMethods[];
  /** Set for credential endpoints: they count requests, track concurrency and get the added latency. */
  readonly fetchKind?: (request: WeChatRequest) => FetchKind;
  /** The appid / corpid the request is for, as far as it can be told before judging it (faults match on it). */
  readonly ownerId: (request: WeChatRequest, state: SimulatorState) => string | undefined;
  /** For WeCom endpoints: the key of the corp app the request is for, so its own counters see it. */
  readonly corpAppKey?: (request: WeChatRequest, state: SimulatorState) => string | undefined;
  /** A WeCom endpoint: injected errcode faults use the WeCom errmsg style. */
  readonly wecom?: boolean;
  readonly handle: (state: SimulatorState, request: WeChatRequest) => EndpointResult;
}

/** Methods a POST-only endpoint listens on, so a wrong method gets WeChat's 43002 instead of a 404. */
export const ANY_METHOD: HTTPMethods[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

// What an nginx front answers when the upstream is down; WeChat's edge serves the same kind of HTML.
const BAD_GATEWAY_HTML =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';
const TRUNCATED_JSON = '{"access_token":"74_zXWeyocQB3qQ';

/** Serves `route` on `app`, with fault injection, added latency and in-flight tracking around the logic. */
export function registerWeChatRoute(app: FastifyInstance, state: SimulatorState, closing: AbortSignal, route: WeChatRoute): void {
  app.route({
    method: route.methods,
    url: route.url,
    handler: async (request, reply) => {
      const wechatRequest = toWeChatRequest(request);
      const ownerId = route.ownerId(wechatRequest, state);
      const end = route.fetchKind
        ? state.beginTokenRequest(ownerId, route.fetchKind(wechatRequest), route.corpAppKey?.(wechatRequest, state))
        : undefined;
      try {
        const fault = state.faults.take(route.url, ownerId);
        const latency = route.fetchKind ? state.options.latencyMs : 0;
        const delay = latency + (fault?.mode === 'delay' ? fault.delayMs : 0);
        // No timer at all when there is nothing to wait for, so ManualClock tests need not advance.
        if (delay > 0) await sleep(state.options.clock, delay, closing);
        if (fault && fault.mode !== 'delay') return await applyFault(fault, state, request, reply, closing, route.wecom === true);
        return reply.code(200).send(route.handle(state, wechatRequest));
      } catch (err) {
        if (closing.aborted) return abandon(request, reply);
        throw err;
      } finally {
        end?.();
      }
    },
  });
}

async function applyFault(
  fault: Fault,
  state: SimulatorState,
  request: FastifyRequest,
  reply: FastifyReply,
  closing: AbortSignal,
  wecom: boolean,
): Promise<unknown> {
  switch (fault.mode) {
    case 'errcode':
      return reply.code(200).send(wecom ? state.wecomError(fault.errcode, request.ip) : state.error(fault.errcode));
    case 'http-502':
      return reply.code(502).type('text/html').send(BAD_GATEWAY_HTML);
    case 'truncated-json':
      return reply.code(200).type('application/json; encoding=utf-8').send(TRUNCATED_JSON);
    case 'empty-body':
      // As captured in 2017 for a bad appid/secret: no body at all, served as gbk HTML (§0).
      return reply.code(200).type('text/html; charset=gbk').send('');
    case 'reset':
      return abandon(request, reply);
    case 'hang':
      reply.hijack();
      await untilClosed(request, closing);
      request.raw.socket?.destroy();
      return undefined;
    default:
      return undefined;
  }
}

function abandon(request: FastifyRequest, reply: FastifyReply): undefined {
  reply.hijack();
  request.raw.socket?.destroy();
  return undefined;
}

function untilClosed(request: FastifyRequest, closing: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const socket = request.raw.socket;
    if (closing.aborted || !socket || socket.destroyed) return resolve();
    const done = (): void => {
      socket.off('close', done);
      closing.removeEventListener('abort', done);
      resolve();
    };
    socket.once('close', done);
    closing.addEventListener('abort', done, { once: true });
  });
}

function toWeChatRequest(request: FastifyRequest): WeChatRequest {
  const query: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries((request.query ?? {}) as Record<string, unknown>)) {
    const first = Array.isArray(value) ? value[0] : value;
    query[key] = typeof first === 'string' ? first : undefined;
  }
  return {
    method: request.method,
    query,
    body: typeof request.body === 'string' ? request.body : undefined,
    ip: request.ip,
  };
}
