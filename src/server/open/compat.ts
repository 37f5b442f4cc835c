import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { validateOpenAppid } from '../../core/open-platform/ids.js';
import type { OpenPlatform } from '../../core/open-platform/open-platform.js';
import { AuthorizerInactiveError, WxTokenError } from '../../errors/index.js';
import type { RouteContext } from '../context.js';
import { secondsLeft } from '../token-body.js';
import { COMPAT_ERRORS, type WeChatReplies } from '../compat/wechat-reply.js';

/** The two Open Platform paths the hub answers itself, in WeChat's shape. */
export const COMPAT_COMPONENT_TOKEN_PATH = '/cgi-bin/component/api_component_token';
export const COMPAT_AUTHORIZER_TOKEN_PATH = '/cgi-bin/component/api_authorizer_token';

/**
 * WeChat-compatible `api_component_token` and `api_authorizer_token` answered from the hub's managed values, so an
 * SDK in component mode pointed at the hub shares them instead of fetching its own (which would retire the hub's).
 * api_component_token authenticates with the component secret (the verify ticket sent is ignored: the hub holds
 * the latest); api_authorizer_token with the component token the hub issued. Never fetches from WeChat itself
 * beyond what the hub's own refresh does, never echoes a secret.
 */
export function registerOpenCompatRoutes(app: FastifyInstance, ctx: RouteContext, replies: WeChatReplies, open: OpenPlatform): void {
  const { clock, guard } = ctx;

  const parse = (raw: unknown): Record<string, unknown> | undefined => {
    try {
      const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : typeof raw === 'string' ? raw : '';
      const value: unknown = JSON.parse(text);
      return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  };
  const fail = (err: unknown): { errcode: number; errmsg: string } => {
    if (err instanceof AuthorizerInactiveError) return replies.error({ errcode: err.authorizerStatus === 'frozen' ? 50002 : 61023, errmsg: err.authorizerStatus === 'frozen' ? 'user limited' : 'refresh_token is invalid' }, err.message);
    if (err instanceof WxTokenError && err.code === 'invalid_request') return replies.error({ errcode: 40013, errmsg: 'invalid appid' });
    if (err instanceof WxTokenError && err.code === 'not_found') return replies.error({ errcode: 61003, errmsg: 'component is not authorized by this account' });
    return replies.fromHubError(err);
  };

  app.post(COMPAT_COMPONENT_TOKEN_PATH, async (request) => {
    const body = parse(request.body);
    if (!body) return replies.error(COMPAT_ERRORS.dataFormatError);
    const appid = body.component_appid;
    const secret = body.component_appsecret;
    if (typeof appid !== 'string' || appid === '') return replies.error({ errcode: 41018, errmsg: 'missing component_appid' });
    if (typeof secret !== 'string' || secret === '') return replies.error(COMPAT_ERRORS.appsecretMissing);
    try {
      validateOpenAppid('component appid', appid);
      guard.assertAllowed(request, 'compat');
      if (!(await open.componentSecretMatches(appid, secret))) {
        guard.failed(request, 'compat');
        return replies.error(COMPAT_ERRORS.invalidAppsecret);
      }
      const issued = await open.componentToken(appid);
      return { component_access_token: issued.token, expires_in: secondsLeft(issued.expiresAt, clock.now()) };
    } catch (err) {
      return fail(err);
    }
  });

  app.post<{ Querystring: { component_access_token?: string; access_token?: string } }>(COMPAT_AUTHORIZER_TOKEN_PATH, async (request) => {
    const body = parse(request.body);
    if (!body) return replies.error(COMPAT_ERRORS.dataFormatError);
    const { component_appid: componentAppid, authorizer_appid: authorizerAppid, authorizer_refresh_token: refreshToken } = body;
    const token = request.query.component_access_token ?? request.query.access_token;
    if (typeof componentAppid !== 'string' || componentAppid === '') return replies.error({ errcode: 41018, errmsg: 'missing component_appid' });
    if (typeof token !== 'string' || token === '') return replies.error({ errcode: 41001, errmsg: 'access_token missing' });
    try {
      validateOpenAppid('component appid', componentAppid);
      if (typeof authorizerAppid !== 'string') return replies.error({ errcode: 40013, errmsg: 'invalid appid' });
      validateOpenAppid('authorizer appid', authorizerAppid);
      // Only a component token this hub issued (its current one) names the caller as the component.
      const current = await open.componentToken(componentAppid);
      if (!sameValue(current.token, token)) return replies.error({ errcode: 40001, errmsg: 'invalid credential, access_token is invalid or not latest' });
      const issued = await open.authorizerToken(componentAppid, authorizerAppid);
      return {
        authorizer_access_token: issued.token,
        expires_in: secondsLeft(issued.expiresAt, clock.now()),
        // WeChat echoes the refresh token; the hub echoes what the caller sent and never reveals its own.
        authorizer_refresh_token: typeof refreshToken === 'string' ? refreshToken : '',
      };
    } catch (err) {
      return fail(err);
    }
  });
}

/** Constant-time comparison of a presented token with the hub's (both hashed first, so lengths do not show). */
function sameValue(expected: string, presented: string): boolean {
  return timingSafeEqual(createHash('sha256').update(expected).digest(), createHash('sha256').update(presented).digest());
}
