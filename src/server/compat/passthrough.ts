import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../util/clock.js';
import type { TokenService } from '../../core/token-service.js';
import { InvalidRequestError, MethodNotAllowedError, PayloadTooLargeError } from '../../errors/index.js';
import { collectBody, declaredLength, isByteStream } from '../upstream/collect-body.js';
import type { HealingForwarder } from '../upstream/healing-forwarder.js';
import type { IssuedTokens } from '../upstream/issued-tokens.js';
import { ACCESS_TOKEN_PARAMETER, queryValue, withQueryValue } from '../upstream/query-token.js';
import { sendAnswer } from '../upstream/send-outcome.js';
import { PASSTHROUGH_METHODS, resolvePassthroughTarget } from './passthrough-path.js';
import { answerGetTicket, GET_TICKET_PATH } from './ticket-endpoint.js';
import { compatTokenPath, type CompatTokenHandler } from './token-endpoints.js';
import { COMPAT_ERRORS, type WeChatReplies } from './wechat-reply.js';

/** How the passthrough reaches WeChat. */
export interface PassthroughOptions {
  readonly prefixes: readonly string[];
  readonly clock: Clock;
  /** Forwards and heals (see upstream/healing-forwarder.ts). */
  readonly forwarder: HealingForwarder;
  /** Recognises the tokens the hub issued, the ones whose rejection the passthrough heals. */
  readonly issued: IssuedTokens;
  /** The largest body read whole (a token request spelt oddly, answered by the hub itself). */
  readonly bufferedBodyLimitBytes: number;
  /** Answers getticket for tokens the hub issued, and supplies the current token of a call it heals. */
  readonly service: TokenService;
}

const ALLOWED = new Set(PASSTHROUGH_METHODS);

/**
 * Forwards every request under the configured prefixes to WeChat (method, resolved path, query, body bytes,
 * content-type) and returns WeChat's answer unchanged (status, content-type, body), so an SDK whose base URL points
 * at the hub keeps working for its business calls. Nothing else is forwarded: no caller headers, no
 * Authorization, no cookies. The path is resolved first (resolvePassthroughTarget) and every check is made on
 * the resolved path, which is also the one forwarded: the token endpoints are never forwarded, however they are
 * spelled, because a fetch at WeChat would invalidate the hub's token. Unsupported methods get 405. Bodies are
 * streamed both ways. When the call carries a token the hub issued (`access_token`) and WeChat rejects it, the
 * hub invalidates it and replays the call once with the current token (upstream/healing-forwarder.ts).
 */
export function registerPassthrough(app: FastifyInstance, options: PassthroughOptions, replies: WeChatReplies, tokenHandler: CompatTokenHandler): void {
  const { clock, forwarder, issued } = options;

  async function forward(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    if (!ALLOWED.has(request.method)) throw new MethodNotAllowedError(request.method, PASSTHROUGH_METHODS);
    const target = resolvePassthroughTarget(request.url);
    if (!options.prefixes.some((prefix) => target.path.startsWith(prefix))) {
      throw new InvalidRequestError('the resolved path is outside the passthrough prefixes');
    }
    const tokenPath = compatTokenPath(target.path);
    if (tokenPath !== null) {
      // The hub answers these itself, reading the body whole (stable_token's is a small JSON object).
      if (isByteStream(request.body)) request.body = await collectBody(request.body, options.bufferedBodyLimitBytes);
      return tokenHandler(request, reply, tokenPath);
    }
    if (target.path === GET_TICKET_PATH) {
      // An SDK fetching its own ticket with a token the hub issued shares the hub's managed ticket.
      const managed = await answerGetTicket(options.service, request, replies, () => clock.now());
      if (managed !== undefined) return managed;
    }

    const presented = queryValue(target.search, ACCESS_TOKEN_PARAMETER);
    const appid = presented === undefined || presented === '' ? undefined : issued.appOf(presented);
    let search = target.search;
    let token: { appid: string; value: string } | null = null;
    if (appid !== undefined) {
      // A token the hub issued but has since replaced (a refresh, or a rejection reported by anyone): the call
      // goes with the current one. SDKs hold their token until the expiry they were given; without this, every
      // call of theirs would meet WeChat's 40001 first and need a replay.
      const current = await currentToken(options.service, appid);
      if (current !== undefined) {
        if (current !== presented) search = withQueryValue(search, ACCESS_TOKEN_PARAMETER, current);
        token = { appid, value: current };
      }
    }
    const outcome = await forwarder.forward(
      {
        method: request.method,
        path: target.path,
        search,
        contentType: request.headers['content-type'],
        body: isByteStream(request.body) ? request.body : undefined,
        declaredLength: declaredLength(request),
        token,
      },
      request.log,
    );
    switch (outcome.kind) {
      case 'too-large':
        throw new PayloadTooLargeError(forwarder.bodyLimitBytes);
      case 'unreachable':
        // The message names the path only: the query holds an access_token (or a secret).
        request.log.warn({ path: target.path, why: outcome.why }, 'passthrough to WeChat failed');
        return reply.code(502).send(replies.error(COMPAT_ERRORS.systemError, `the hub could not reach WeChat: ${outcome.why}`));
      case 'answer':
        if (outcome.status >= 500) request.log.warn({ path: target.path, status: outcome.status }, 'WeChat answered a passthrough call with an HTTP 5xx');
        return sendAnswer(reply, outcome);
    }
  }

  for (const prefix of options.prefixes) app.all(`${prefix}*`, forward);
}

/** The app's current token, or undefined when the hub has none to give (the call then goes as it came). */
async function currentToken(service: TokenService, appid: string): Promise<string | undefined> {
  const held = service.currentToken?.(appid);
  if (held !== undefined) return held.token;
  try {
    return (await service.getAccessToken(appid)).token;
  } catch {
    return undefined;
  }
}
