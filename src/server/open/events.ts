import type { FastifyInstance } from 'fastify';
import { authorizationErrorOf, type AuthorizationErrorParam } from '../../core/open-platform/authorization-failures.js';
import type { OpenPlatform } from '../../core/open-platform/open-platform.js';
import { InvalidRequestError, WeChatError } from '../../errors/index.js';
import { MAX_PUSH_BODY_BYTES } from '../../wechat/event-xml.js';

interface ComponentParams {
  component_appid: string;
}

/**
 * WeChat's side of the Open Platform: the 授权事件接收URL (`POST /open/{component_appid}/events`) and the
 * authorization redirect target (`GET /open/{component_appid}/authorized`). The push is verified before it is
 * acknowledged (constant-time signature, decryption, AppId, freshness, replay) and processed after: WeChat gets
 * `success` at once, whatever processing costs. Registered in a scope whose bodies arrive as raw text.
 */
export function registerOpenEventRoutes(app: FastifyInstance, open: OpenPlatform, landingUrl: (componentAppid: string) => Promise<string | undefined>): void {
  app.post<{ Params: ComponentParams; Querystring: Record<string, string | undefined> }>(
    '/open/:component_appid/events',
    { bodyLimit: MAX_PUSH_BODY_BYTES },
    async (request, reply) => {
      const body = typeof request.body === 'string' ? request.body : Buffer.isBuffer(request.body) ? request.body.toString('utf8') : '';
      const push = await open.verifyPush(request.params.component_appid, request.query ?? {}, body);
      setImmediate(() => {
        open.processPush(push).catch((err: unknown) => request.log.warn({ err: String(err), component: push.componentAppid, infoType: push.fields.InfoType }, 'Open Platform push processing failed'));
      });
      return reply.type('text/plain; charset=utf-8').send('success');
    },
  );

  // The merchant's browser lands here after authorizing: the code is exchanged (once, fleet-wide, whichever of the
  // redirect and the event comes first), then the browser goes on to the component's landing page. A code WeChat
  // refuses (61009/61010) cannot be retried: the merchant is told to authorize again, on the landing page if any.
  // When the event took the code first, the browser waits (a few seconds at most) for that exchange's outcome, so
  // the landing page learns the authorizer, or the refusal, all the same.
  app.get<{ Params: ComponentParams; Querystring: { auth_code?: string } }>('/open/:component_appid/authorized', async (request, reply) => {
    const { component_appid: componentAppid } = request.params;
    const code = request.query.auth_code;
    if (typeof code !== 'string' || code === '') throw new InvalidRequestError('auth_code is required');
    let authorizerAppid: string | undefined;
    let refused: AuthorizationErrorParam | undefined;
    try {
      const result = await open.exchangeAuthCode(componentAppid, code, 'redirect');
      if (result.exchanged) authorizerAppid = result.authorizerAppid;
      else {
        const outcome = await open.authorizationOutcome(componentAppid, code);
        authorizerAppid = outcome?.authorizerAppid;
        refused = outcome?.errcode === undefined ? undefined : authorizationErrorOf(outcome.errcode);
      }
    } catch (err) {
      refused = err instanceof WeChatError ? authorizationErrorOf(err.errcode) : undefined;
      if (refused === undefined) throw err;
    }
    reply.header('cache-control', 'no-store');
    const landing = await landingUrl(componentAppid);
    if (landing !== undefined) {
      const target = new URL(landing);
      if (refused !== undefined) target.searchParams.set(AUTHORIZATION_ERROR_PARAM, refused);
      else if (authorizerAppid !== undefined) target.searchParams.set('authorizer_appid', authorizerAppid);
      return reply.redirect(target.toString(), 302);
    }
    if (refused !== undefined) return reply.code(400).type('text/html; charset=utf-8').send(repeatAuthorizationPage(refused));
    return { authorized: true, authorizer_appid: authorizerAppid ?? null };
  });
}

/** The query parameter that tells the landing page the authorization must be repeated, and why. */
export const AUTHORIZATION_ERROR_PARAM = 'wxtoken_error';

/**
 * What the merchant's browser shows when the component has no landing page and the code was refused: a page a
 * person can act on (the merchant, not a developer, reads it), in Chinese and English. Fixed text only: nothing
 * from the request is echoed.
 */
export function repeatAuthorizationPage(reason: AuthorizationErrorParam): string {
  const [zh, en] =
    reason === 'authorization_code_expired'
      ? ['授权码已过期。', 'The authorization code has expired.']
      : ['授权码无效或已被使用。', 'The authorization code is invalid or was already used.'];
  return [
    '<!doctype html>',
    '<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>请重新授权 / Please authorize again</title></head>',
    '<body>',
    `<h1>授权未完成，请重新授权</h1><p>${zh}请使用服务商提供的授权链接重新授权（或在公众平台更新授权）。</p>`,
    `<h1>Authorization not completed: please authorize again</h1><p>${en} Authorize again with the link your service provider gave you (or update the authorization in the WeChat console).</p>`,
    `<p><code>${reason}</code></p>`,
    '</body></html>',
    '',
  ].join('\n');
}
