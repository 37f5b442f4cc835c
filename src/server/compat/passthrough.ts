import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../util/clock.js';
import type { TokenService } from '../../core/token-service.js';
import { InvalidRequestError, MethodNotAllowedError } from '../../errors/index.js';
import { PASSTHROUGH_METHODS, resolvePassthroughTarget } from './passthrough-path.js';
import { answerGetTicket, GET_TICKET_PATH } from './ticket-endpoint.js';
import { compatTokenPath, type CompatTokenHandler } from './token-endpoints.js';
import { COMPAT_ERRORS, type WeChatReplies } from './wechat-reply.js';

/** How the passthrough reaches WeChat. */
export interface PassthroughOptions {
  readonly upstreamBaseUrl: string;
  readonly prefixes: readonly string[];
  readonly timeoutMs: number;
  readonly fetch: typeof fetch;
  readonly clock: Clock;
  /** Answers getticket for tokens the hub issued; without it every getticket goes to WeChat. */
  readonly service?: TokenService;
}

// Methods that never carry a body; fetch refuses one on them.
const BODYLESS = new Set(['GET', 'HEAD']);

const ALLOWED = new Set(PASSTHROUGH_METHODS);

/**
 * Forwards every request under the configured prefixes to WeChat (method, resolved path, query, body bytes,
 * content-type) and returns WeChat's answer unchanged (status, content-type, body), so an SDK whose base URL points
 * at the hub keeps working for its business calls. Nothing else is forwarded: no caller headers, no
 * Authorization, no cookies. The path is resolved first (resolvePassthroughTarget) and every check is made on
 * the resolved path, which is also the one forwarded: the token endpoints are never forwarded, however they are
 * spelled, because a fetch at WeChat would invalidate the hub's token. Unsupported methods get 405.
 */
export function registerPassthrough(app: FastifyInstance, options: PassthroughOptions, replies: WeChatReplies, tokenHandler: CompatTokenHandler): void {
  const { upstreamBaseUrl, timeoutMs, clock } = options;
  const fetchImpl = options.fetch;

  async function forward(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    if (!ALLOWED.has(request.method)) throw new MethodNotAllowedError(request.method, PASSTHROUGH_METHODS);
    const target = resolvePassthroughTarget(request.url);
    if (!options.prefixes.some((prefix) => target.path.startsWith(prefix))) {
      throw new InvalidRequestError('the resolved path is outside the passthrough prefixes');
    }
    const tokenPath = compatTokenPath(target.path);
    if (tokenPath !== null) return tokenHandler(request, reply, tokenPath);
    if (options.service && target.path === GET_TICKET_PATH) {
      // An SDK fetching its own ticket with a token the hub issued shares the hub's managed ticket.
      const managed = await answerGetTicket(options.service, request, replies, () => clock.now());
      if (managed !== undefined) return managed;
    }

    const headers: Record<string, string> = {};
    const contentType = request.headers['content-type'];
    if (contentType !== undefined) headers['content-type'] = contentType;
    const init: RequestInit = { method: request.method, headers, redirect: 'manual' };
    if (!BODYLESS.has(request.method) && Buffer.isBuffer(request.body)) init.body = request.body;

    const controller = new AbortController();
    init.signal = controller.signal;
    const cancelTimer = clock.setTimer(() => controller.abort(), timeoutMs);
    let status: number;
    let upstreamType: string | null;
    let location: string | null;
    let body: Buffer;
    try {
      // The resolved path (nothing left for fetch's URL parser to resolve) and the query as received.
      const res = await fetchImpl(upstreamBaseUrl + target.path + target.search, init);
      status = res.status;
      upstreamType = res.headers.get('content-type');
      location = res.headers.get('location');
      body = Buffer.from(await res.arrayBuffer());
    } catch (err) {
      // The message names the path only: the query holds an access_token (or a secret).
      const why = controller.signal.aborted ? 'timeout' : 'network';
      request.log.warn({ path: target.path, why, err: errorName(err) }, 'passthrough to WeChat failed');
      return reply.code(502).send(replies.error(COMPAT_ERRORS.systemError, `the hub could not reach WeChat: ${why}`));
    } finally {
      cancelTimer();
    }
    if (status >= 500) request.log.warn({ path: target.path, status }, 'WeChat answered a passthrough call with an HTTP 5xx');
    reply.code(status);
    if (upstreamType !== null) reply.header('content-type', upstreamType);
    if (location !== null) reply.header('location', location);
    return reply.send(body);
  }

  for (const prefix of options.prefixes) app.all(`${prefix}*`, forward);
}

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : typeof err;
}
