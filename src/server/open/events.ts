import type { FastifyInstance } from 'fastify';
import type { OpenPlatform } from '../../core/open-platform/open-platform.js';
import { InvalidRequestError } from '../../errors/index.js';
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
  // redirect and the event comes first), then the browser goes on to the component's landing page.
  app.get<{ Params: ComponentParams; Querystring: { auth_code?: string } }>('/open/:component_appid/authorized', async (request, reply) => {
    const { component_appid: componentAppid } = request.params;
    const code = request.query.auth_code;
    if (typeof code !== 'string' || code === '') throw new InvalidRequestError('auth_code is required');
    const result = await open.exchangeAuthCode(componentAppid, code, 'redirect');
    reply.header('cache-control', 'no-store');
    const landing = await landingUrl(componentAppid);
    if (landing !== undefined) {
      const target = new URL(landing);
      if (result.authorizerAppid) target.searchParams.set('authorizer_appid', result.authorizerAppid);
      return reply.redirect(target.toString(), 302);
    }
    return { authorized: true, authorizer_appid: result.authorizerAppid ?? null };
  });
}
