import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidRequestError, UpstreamTransportError } from '../../errors/index.js';
import { authorizeClient } from '../auth.js';
import type { RouteContext } from '../context.js';
import { callUpstream, relayUpstream, type UpstreamCallOptions } from '../compat/upstream-call.js';
import { PROXY_SOURCE_HEADER } from '../../client/hub-client.js';

/** One login call the hub makes for a service: the hub path, WeChat's path, and the parameter holding the code. */
export interface LoginProxyRoute {
  readonly url: string;
  readonly wechatPath: string;
  readonly codeParam: 'js_code' | 'code';
}

/**
 * The login calls services written against the hub make with only a client key (capability `login`). Specific
 * routes, so that they win over a generic `/v1/apps/:appid/proxy/*` (Fastify matches static segments first).
 */
export const LOGIN_PROXY_ROUTES: readonly LoginProxyRoute[] = [
  { url: '/v1/apps/:appid/proxy/sns/jscode2session', wechatPath: '/sns/jscode2session', codeParam: 'js_code' },
  { url: '/v1/apps/:appid/proxy/sns/oauth2/access_token', wechatPath: '/sns/oauth2/access_token', codeParam: 'code' },
];

/** Longest login code accepted; WeChat's are 32 characters. */
export const MAX_LOGIN_CODE_LENGTH = 512;
const CODE_PATTERN = /^[\x21-\x7e]+$/;

/**
 * `GET /v1/apps/{appid}/proxy/sns/jscode2session?js_code=…` and `…/proxy/sns/oauth2/access_token?code=…` with
 * `Authorization: Bearer <client key>`: the hub adds `appid`, the app's AppSecret and
 * `grant_type=authorization_code`, calls WeChat and relays its answer unchanged (status and body, errcodes
 * included). The code is the only parameter a caller may send, so nothing it adds can change which app's secret
 * is used. Neither the code nor the answer is logged or kept.
 */
export function registerLoginProxyRoutes(app: FastifyInstance, ctx: RouteContext, upstream: UpstreamCallOptions): void {
  const { service, guard } = ctx;
  for (const route of LOGIN_PROXY_ROUTES) {
    // No HEAD twin: a HEAD would spend the user's one-time code and throw the answer away.
    app.get<{ Params: { appid: string } }>(route.url, { exposeHeadRoute: false }, async (request: FastifyRequest<{ Params: { appid: string } }>, reply: FastifyReply) => {
      const { appid } = request.params;
      authorizeClient(service, request, appid, guard, 'login');
      const code = loginCode(request.url, route.codeParam);
      if (!service.withAppSecret) throw new InvalidRequestError('this hub cannot make calls with the AppSecret');
      const answer = await service.withAppSecret(appid, (secret) => {
        const query = new URLSearchParams({ appid, secret, [route.codeParam]: code, grant_type: 'authorization_code' });
        return callUpstream(upstream, `${route.wechatPath}?${query}`, { method: 'GET' });
      });
      if (!answer.ok) throw new UpstreamTransportError(answer.why, route.wechatPath, `the hub could not reach WeChat (${answer.errorName})`);
      reply.header('cache-control', 'no-store');
      // Marked as the generic proxy marks WeChat's answers (v1/proxy.ts), so HubClient.call tells them from the hub's.
      reply.header(PROXY_SOURCE_HEADER, 'wechat');
      return relayUpstream(reply, answer);
    });
  }
}

/** The one login code in the query; InvalidRequestError (never quoting the code) for anything else. */
function loginCode(url: string, codeParam: string): string {
  const q = url.indexOf('?');
  const pairs = [...new URLSearchParams(q === -1 ? '' : url.slice(q + 1))];
  const extra = pairs.find(([name]) => name !== codeParam);
  if (extra !== undefined) {
    throw new InvalidRequestError(`only ${codeParam} may be given: the hub adds appid, secret and grant_type itself (got ${JSON.stringify(extra[0].slice(0, 40))})`);
  }
  if (pairs.length !== 1) throw new InvalidRequestError(`${codeParam} is required, exactly once`);
  const code = pairs[0]![1];
  if (code.length === 0 || code.length > MAX_LOGIN_CODE_LENGTH || !CODE_PATTERN.test(code)) {
    throw new InvalidRequestError(`${codeParam} must be 1-${MAX_LOGIN_CODE_LENGTH} printable ASCII characters`);
  }
  return code;
}
