import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../util/clock.js';
import type { TokenService } from '../../core/token-service.js';
import { InvalidRequestError, MethodNotAllowedError } from '../../errors/index.js';
import { PASSTHROUGH_METHODS, resolvePassthroughTarget } from './passthrough-path.js';
import { answerGetTicket, GET_TICKET_PATH } from './ticket-endpoint.js';
import { compatTokenPath, type CompatTokenHandler } from './token-endpoints.js';
import { secretBearingPath } from './secret-paths.js';
import type { SecretCallHandler } from './secret-calls.js';
import { CLIENT_KEY_PREFIX } from '../../core/client-keys.js';
import { callUpstream, relayUpstream, type UpstreamCallOptions } from './upstream-call.js';
import { COMPAT_ERRORS, type WeChatReplies } from './wechat-reply.js';

/** How the passthrough reaches WeChat. */
export interface PassthroughOptions {
  readonly upstreamBaseUrl: string;
  /** Where calls made with a WeCom token the hub issued go. */
  readonly wecomUpstreamBaseUrl: string;
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
 * spelled, because a fetch at WeChat would invalidate the hub's token. A call made with a WeCom token the hub
 * issued goes to WeCom's host, any other to WeChat's. The secret-bearing paths (jscode2session,
 * the web OAuth exchange, clear_quota/v2…) go to `secretCalls`, which puts the AppSecret where a client key stood;
 * any other request with a client key in its query is refused, so a key never reaches WeChat. Unsupported methods
 * get 405.
 */
export function registerPassthrough(
  app: FastifyInstance,
  options: PassthroughOptions,
  replies: WeChatReplies,
  tokenHandler: CompatTokenHandler,
  secretCalls: SecretCallHandler,
): void {
  const { clock } = options;
  const upstream: UpstreamCallOptions = { upstreamBaseUrl: options.upstreamBaseUrl, timeoutMs: options.timeoutMs, fetch: options.fetch, clock };
  const wecomUpstream: UpstreamCallOptions = { ...upstream, upstreamBaseUrl: options.wecomUpstreamBaseUrl };
  // WeCom's business paths share /cgi-bin/ with WeChat's: the token tells which host a call is for.
  const upstreamFor = (search: string): UpstreamCallOptions => {
    const token = search.length > 1 ? new URLSearchParams(search.slice(1)).get('access_token') : null;
    return token !== null && options.service?.wecom?.agentOfToken(token) !== undefined ? wecomUpstream : upstream;
  };

  async function forward(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    if (!ALLOWED.has(request.method)) throw new MethodNotAllowedError(request.method, PASSTHROUGH_METHODS);
    const target = resolvePassthroughTarget(request.url);
    if (!options.prefixes.some((prefix) => target.path.startsWith(prefix))) {
      throw new InvalidRequestError('the resolved path is outside the passthrough prefixes');
    }
    const tokenPath = compatTokenPath(target.path);
    if (tokenPath !== null) return tokenHandler(request, reply, tokenPath);
    const secretPath = secretBearingPath(target.path);
    if (secretPath !== null) return secretCalls(request, reply, target, secretPath);
    if (carriesClientKey(target.search)) {
      // A key in a parameter of any other call would reach WeChat as it is: a token where a token goes is the
      // caller's to fetch first (GET /cgi-bin/token with the key as secret).
      return replies.error(COMPAT_ERRORS.invalidArgs, 'a client key is never forwarded to WeChat: exchange it for a token first');
    }
    if (options.service && target.path === GET_TICKET_PATH) {
      // An SDK fetching its own ticket with a token the hub issued shares the hub's managed ticket.
      const managed = await answerGetTicket(options.service, request, replies, () => clock.now());
      if (managed !== undefined) return managed;
    }

    const headers: Record<string, string> = {};
    const contentType = request.headers['content-type'];
    if (contentType !== undefined) headers['content-type'] = contentType;
    const init: RequestInit = { method: request.method, headers };
    if (!BODYLESS.has(request.method) && Buffer.isBuffer(request.body)) init.body = request.body;

    // The resolved path (nothing left for fetch's URL parser to resolve) and the query as received.
    const answer = await callUpstream(upstreamFor(target.search), target.path + target.search, init);
    if (!answer.ok) {
      // The message names the path only: the query holds an access_token (or a secret).
      request.log.warn({ path: target.path, why: answer.why, err: answer.errorName }, 'passthrough to WeChat failed');
      return reply.code(502).send(replies.error(COMPAT_ERRORS.systemError, `the hub could not reach WeChat: ${answer.why}`));
    }
    if (answer.status >= 500) request.log.warn({ path: target.path, status: answer.status }, 'WeChat answered a passthrough call with an HTTP 5xx');
    return relayUpstream(reply, answer);
  }

  for (const prefix of options.prefixes) app.all(`${prefix}*`, forward);
}

/** Whether any query parameter's value, decoded, is a client key (by its prefix; valid or not does not matter). */
function carriesClientKey(search: string): boolean {
  if (search.length <= 1) return false;
  for (const [, value] of new URLSearchParams(search.slice(1))) if (value.trim().startsWith(CLIENT_KEY_PREFIX)) return true;
  return false;
}
