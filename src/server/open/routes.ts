import type { FastifyInstance } from 'fastify';
import type { OpenPlatform } from '../../core/open-platform/open-platform.js';
import type { Clock } from '../../util/clock.js';
import type { AdminKeyCheck } from '../auth.js';
import { WeChatReplies } from '../compat/wechat-reply.js';
import type { RouteContext } from '../context.js';
import { registerAuthorizerRoutes } from '../v1/authorizers.js';
import { registerOpenAdminRoutes } from './admin-routes.js';
import { registerOpenCompatRoutes } from './compat.js';
import { registerOpenEventRoutes } from './events.js';
import { registerOpenMetrics } from './metrics.js';

/**
 * Every Open Platform route, each group in its own scope: the client API and the admin API take JSON; the push
 * endpoint and the WeChat-compatible endpoints read raw bodies.
 */
export function registerOpenPlatformRoutes(app: FastifyInstance, ctx: RouteContext, admin: AdminKeyCheck, open: OpenPlatform, random: () => number, clock: Clock): void {
  if (ctx.metrics !== null) registerOpenMetrics(ctx.metrics, open);
  app.register(async (scope) => {
    scope.removeContentTypeParser('text/plain');
    registerAuthorizerRoutes(scope, ctx, open);
    registerOpenAdminRoutes(scope, ctx, admin, open);
  });
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    registerOpenEventRoutes(scope, open, (componentAppid) => open.landingUrl(componentAppid));
    registerOpenCompatRoutes(scope, ctx, new WeChatReplies(clock, random), open);
  });
}
