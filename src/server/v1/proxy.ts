import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MethodNotAllowedError, PayloadTooLargeError, UpstreamTransportError } from '../../errors/index.js';
import { authorizeClient } from '../auth.js';
import { PASSTHROUGH_METHODS } from '../compat/passthrough-path.js';
import type { RouteContext } from '../context.js';
import { declaredLength, isByteStream } from '../upstream/collect-body.js';
import type { HealingForwarder } from '../upstream/healing-forwarder.js';
import { ACCESS_TOKEN_PARAMETER, withQueryValue } from '../upstream/query-token.js';
import { sendAnswer } from '../upstream/send-outcome.js';
import { parseProxyTarget } from './proxy-target.js';
import { PROXY_SOURCE_HEADER } from '../../client/hub-client.js';

/** What the proxy route needs beyond the route context. */
export interface ProxyOptions {
  readonly forwarder: HealingForwarder;
  /** WeChat path families the proxy may call (the passthrough's prefixes). */
  readonly prefixes: readonly string[];
}

const ALLOWED = new Set(PASSTHROUGH_METHODS);

/**
 * `ANY /v1/apps/{appid}/proxy/{WeChat path}`: a business service calls WeChat through the hub with its client key
 * instead of a token. The hub checks the key (scoped to the app, with the `read-token` capability: a sign-only
 * key is refused), injects the app's current token as `access_token` (replacing any the caller sent), streams the
 * call to WeChat and WeChat's answer back unchanged, and heals a token rejection (invalidate, replay once). The
 * service never holds a token. Failures of the hub itself answer in the hub's error shape (api.md).
 */
export function registerProxyRoutes(app: FastifyInstance, ctx: RouteContext, options: ProxyOptions): void {
  const { service, guard } = ctx;
  const { forwarder, prefixes } = options;

  async function proxy(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    if (!ALLOWED.has(request.method)) throw new MethodNotAllowedError(request.method, PASSTHROUGH_METHODS);
    // The raw target, never the router's decoded parameters: the appid checked is the appid injected.
    const target = parseProxyTarget(request.url, prefixes);
    authorizeClient(service, request, target.appid, guard, 'read-token');
    const issued = await service.getAccessToken(target.appid);
    const outcome = await forwarder.forward(
      {
        method: request.method,
        path: target.path,
        search: withQueryValue(target.search, ACCESS_TOKEN_PARAMETER, issued.token),
        contentType: request.headers['content-type'],
        body: isByteStream(request.body) ? request.body : undefined,
        declaredLength: declaredLength(request),
        token: { appid: target.appid, value: issued.token },
      },
      request.log,
    );
    switch (outcome.kind) {
      case 'too-large':
        throw new PayloadTooLargeError(forwarder.bodyLimitBytes);
      case 'unreachable':
        throw new UpstreamTransportError(outcome.why, target.path, 'the hub could not reach WeChat');
      case 'answer':
        // Tells WeChat's answers (whatever their status) from the hub's own errors, for the client SDK.
        reply.header(PROXY_SOURCE_HEADER, 'wechat');
        reply.header('cache-control', 'no-store');
        return sendAnswer(reply, outcome);
    }
  }

  app.all('/v1/apps/:appid/proxy/*', proxy);
}
