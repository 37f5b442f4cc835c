import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../util/clock.js';
import type { TokenService } from '../../core/token-service.js';
import { InvalidRequestError, MethodNotAllowedError, PayloadTooLargeError } from '../../errors/index.js';
import { collectBody, declaredLength, isByteStream } from '../upstream/collect-body.js';
import type { HealableToken, HealingForwarder } from '../upstream/healing-forwarder.js';
import type { IssuedTokens } from '../upstream/issued-tokens.js';
import { ACCESS_TOKEN_PARAMETER, carriesClientKey, queryValue, withQueryValue } from '../upstream/query-token.js';
import { sendAnswer } from '../upstream/send-outcome.js';
import { PASSTHROUGH_METHODS, resolvePassthroughTarget } from './passthrough-path.js';
import { answerGetTicket, GET_TICKET_PATH } from './ticket-endpoint.js';
import { compatTokenPath, type CompatTokenHandler } from './token-endpoints.js';
import { secretBearingPath } from './secret-paths.js';
import type { SecretCallHandler } from './secret-calls.js';
import { COMPAT_ERRORS, type WeChatReplies } from './wechat-reply.js';

/** How the passthrough reaches WeChat (and WeCom). */
export interface PassthroughOptions {
  readonly prefixes: readonly string[];
  readonly clock: Clock;
  /** Forwards and heals (see upstream/healing-forwarder.ts); WeChat's host unless a call names another. */
  readonly forwarder: HealingForwarder;
  /** Where calls made with a WeCom token the hub issued go. */
  readonly wecomUpstreamBaseUrl: string;
  /** Recognises the tokens the hub issued, the ones whose rejection the passthrough heals. */
  readonly issued: IssuedTokens;
  /** The largest body read whole (a token request spelt oddly, a secret-bearing call: both answered by the hub). */
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
 * spelled, because a fetch at WeChat would invalidate the hub's token. The secret-bearing paths (jscode2session,
 * the web OAuth exchange, clear_quota/v2…) go to `secretCalls`, which puts the AppSecret where a client key stood;
 * any other request with a client key in its query is refused, so a key never reaches WeChat. These checks come
 * before any healing. A call made with a WeCom token the hub issued goes to WeCom's host, any other to WeChat's.
 * Unsupported methods get 405. Bodies are streamed both ways. When the call carries a token the hub issued
 * (`access_token`, WeChat's or WeCom's) and the upstream rejects it, the hub invalidates it and replays the call
 * once with the current token (upstream/healing-forwarder.ts).
 */
export function registerPassthrough(
  app: FastifyInstance,
  options: PassthroughOptions,
  replies: WeChatReplies,
  tokenHandler: CompatTokenHandler,
  secretCalls: SecretCallHandler,
): void {
  const { clock, forwarder, issued, service } = options;

  /** Reads a streamed body whole, for the handlers that answer from it. */
  async function buffer(request: FastifyRequest): Promise<void> {
    if (isByteStream(request.body)) request.body = await collectBody(request.body, options.bufferedBodyLimitBytes);
  }

  async function forward(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    if (!ALLOWED.has(request.method)) throw new MethodNotAllowedError(request.method, PASSTHROUGH_METHODS);
    const target = resolvePassthroughTarget(request.url);
    if (!options.prefixes.some((prefix) => target.path.startsWith(prefix))) {
      throw new InvalidRequestError('the resolved path is outside the passthrough prefixes');
    }
    const tokenPath = compatTokenPath(target.path);
    if (tokenPath !== null) {
      // The hub answers these itself, reading the body whole (stable_token's is a small JSON object).
      await buffer(request);
      return tokenHandler(request, reply, tokenPath);
    }
    const secretPath = secretBearingPath(target.path);
    if (secretPath !== null) {
      // The secret-bearing handler reads its (small, JSON) body whole and forwards it as bytes, never healed: the
      // call carries an AppSecret, not a token.
      await buffer(request);
      return secretCalls(request, reply, target, secretPath);
    }
    if (carriesClientKey(target.search)) {
      // A key in a parameter of any other call would reach WeChat as it is: a token where a token goes is the
      // caller's to fetch first (GET /cgi-bin/token with the key as secret).
      return replies.error(COMPAT_ERRORS.invalidArgs, 'a client key is never forwarded to WeChat: exchange it for a token first');
    }
    if (target.path === GET_TICKET_PATH) {
      // An SDK fetching its own ticket with a token the hub issued shares the hub's managed ticket.
      const managed = await answerGetTicket(service, request, replies, () => clock.now());
      if (managed !== undefined) return managed;
    }

    const healing = await healingOf(target.search);
    const outcome = await forwarder.forward(
      {
        method: request.method,
        path: target.path,
        search: healing.search,
        upstreamBaseUrl: healing.upstreamBaseUrl,
        contentType: request.headers['content-type'],
        body: isByteStream(request.body) ? request.body : undefined,
        declaredLength: declaredLength(request),
        token: healing.token,
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

  /** Where a call goes, with which query, and the hub token whose rejection is healed (null: none). */
  async function healingOf(search: string): Promise<{ search: string; upstreamBaseUrl: string | undefined; token: HealableToken | null }> {
    // WeCom's business paths share /cgi-bin/ with WeChat's: the token tells which host a call is for (the first
    // access_token, as WeCom reads it).
    const routing = search.length > 1 ? new URLSearchParams(search.slice(1)).get(ACCESS_TOKEN_PARAMETER) : null;
    const wecom = routing !== null ? service.wecom : undefined;
    const agent = routing !== null ? wecom?.agentOfToken(routing) : undefined;
    const presented = queryValue(search, ACCESS_TOKEN_PARAMETER);
    if (wecom !== undefined && agent !== undefined) {
      // Healed only when the token is unambiguous (one access_token): which one would WeCom have read?
      const token: HealableToken | null =
        presented === routing
          ? { appid: `wecom:${agent.corpid}/${agent.agent}`, value: presented, invalidate: () => wecom.invalidate(agent.corpid, agent.agent, presented) }
          : null;
      return { search, upstreamBaseUrl: options.wecomUpstreamBaseUrl, token };
    }
    const appid = presented === undefined || presented === '' ? undefined : issued.appOf(presented);
    if (appid === undefined) return { search, upstreamBaseUrl: undefined, token: null };
    // A token the hub issued but has since replaced (a refresh, or a rejection reported by anyone): the call goes
    // with the current one. SDKs hold their token until the expiry they were given; without this, every call of
    // theirs would meet WeChat's 40001 first and need a replay.
    const current = await currentToken(service, appid);
    if (current === undefined) return { search, upstreamBaseUrl: undefined, token: null };
    return {
      search: current !== presented ? withQueryValue(search, ACCESS_TOKEN_PARAMETER, current) : search,
      upstreamBaseUrl: undefined,
      token: { appid, value: current },
    };
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
