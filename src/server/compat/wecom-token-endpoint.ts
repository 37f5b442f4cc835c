import type { FastifyReply, FastifyRequest } from 'fastify';
import { keyAllows } from '../../core/key-scope.js';
import { WECOM_CORPID_PATTERN } from '../../core/principals.js';
import type { WeComService } from '../../core/token-service.js';
import { AppNotFoundError, AuthThrottledError, QuotaExhaustedError } from '../../errors/index.js';
import { newWeComHint, wecomErrmsg } from '../../wechat/wecom-errmsg.js';
import type { RouteContext } from '../context.js';
import { logFailure, toHttpFailure } from '../error-handler.js';
import { compatExpiresIn } from './compat-expiry.js';

/** The errcodes the WeCom-compatible gettoken answers with (each with WeCom's text, wechat/wecom-errmsg.ts). */
export const WECOM_TOKEN_ERRCODES = [-1, 40001, 40013, 41002, 41004, 45009, 48002] as const;

/** WeCom's gettoken answer: errcode and errmsg on success too. */
export type WeComTokenAnswer =
  | { errcode: 0; errmsg: 'ok'; access_token: string; expires_in: number }
  | { errcode: number; errmsg: string };

/**
 * `GET /cgi-bin/gettoken?corpid=…&corpsecret=…`, WeCom's token endpoint, answered from the hub's managed token in
 * WeCom's exact shape, so an unchanged WeCom SDK pointed at the hub shares one token per app. The corpsecret is the
 * app's real secret (compared in constant time against each registered app of the corp: the secret is what names
 * the app) or a client key scoped to exactly one registered app of the corp. Never fetches from WeCom itself.
 */
export function wecomTokenHandler(ctx: RouteContext, random: () => number): (request: FastifyRequest, reply: FastifyReply) => Promise<WeComTokenAnswer> {
  const { service, clock, guard, metrics } = ctx;
  const error = (request: FastifyRequest, errcode: (typeof WECOM_TOKEN_ERRCODES)[number], detail?: string): WeComTokenAnswer => ({
    errcode,
    errmsg: wecomErrmsg(errcode, newWeComHint(clock.now(), random), request.ip, detail),
  });

  /** The app the presented secret names; an error answer when it names none. */
  async function agentOf(request: FastifyRequest, wecom: WeComService, corpid: string, secret: string): Promise<string | WeComTokenAnswer> {
    const key = service.authenticate(secret);
    if (key === null) return (await wecom.agentOfSecret(corpid, secret)) ?? failed(request);
    if (!keyAllows(key, null, 'read-token')) return error(request, 48002, 'api forbidden: this client key may only ask the hub for signatures');
    const covered = (await wecom.agentsOf(corpid)).filter((agent) => keyAllows(key, { type: 'wecom', corpid, agentid: agent }, 'read-token'));
    if (covered.length === 1) return covered[0]!;
    if (covered.length === 0) return failed(request);
    return error(request, 40001, 'invalid credential: the client key covers several apps of this corp; use a key scoped to one');
  }

  function failed(request: FastifyRequest): WeComTokenAnswer {
    guard.failed(request, 'compat');
    return error(request, 40001);
  }

  return async (request, reply) => {
    const query = (request.query ?? {}) as Record<string, unknown>;
    const { corpid, corpsecret } = query;
    if (corpid === undefined || corpid === '') return error(request, 41002);
    if (corpsecret === undefined || corpsecret === '') return error(request, 41004);
    if (typeof corpid !== 'string' || !WECOM_CORPID_PATTERN.test(corpid) || !service.wecom) return error(request, 40013);
    if (typeof corpsecret !== 'string') return error(request, 40001);
    try {
      guard.assertAllowed(request, 'compat');
      if ((await service.wecom.agentsOf(corpid)).length === 0) return error(request, 40013);
      const agent = await agentOf(request, service.wecom, corpid, corpsecret);
      if (typeof agent !== 'string') {
        if (agent.errcode === 48002) reply.code(403);
        return agent;
      }
      const issued = await service.wecom.getToken(corpid, agent);
      metrics?.tokenRead(`wecom:${corpid}/${agent}`, 'compat');
      reply.header('cache-control', 'no-store');
      // Never 0, which some SDKs cache as "no expiry" (compat-expiry.ts).
      return { errcode: 0, errmsg: 'ok', access_token: issued.token, expires_in: compatExpiresIn(issued.expiresAt, clock.now()) };
    } catch (err) {
      if (err instanceof AuthThrottledError) {
        reply.code(429).header('retry-after', String(err.retryAfterSeconds));
        return error(request, 45009, 'api freq out of limit: too many failed authentications from this address');
      }
      if (err instanceof AppNotFoundError) return error(request, 40013);
      if (err instanceof QuotaExhaustedError) return error(request, 45009);
      logFailure(request, toHttpFailure(err), err);
      return error(request, -1);
    }
  };
}
