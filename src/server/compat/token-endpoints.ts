import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { appResource, keyAllows } from '../../core/key-scope.js';
import { APPID_PATTERN } from '../../core/token-service.js';
import type { RouteContext } from '../context.js';
import { logFailure, toHttpFailure } from '../error-handler.js';
import { AuthThrottledError } from '../../errors/index.js';
import { COMPAT_ERRORS, type WeChatErrorBody, type WeChatReplies } from './wechat-reply.js';
import { registerCompatKeyCheck, signOnlyRefusal } from './key-capability.js';
import { wecomTokenHandler, type WeComTokenAnswer } from './wecom-token-endpoint.js';
import { WECOM_TOKEN_PATH } from '../../wechat/index.js';
import type { IssuedTokens } from '../upstream/issued-tokens.js';
import { compatExpiresAt, compatExpiresIn } from './compat-expiry.js';
import type { TokenVerifier } from './token-verifier.js';

/** How the token endpoints take part in healing (see compat/token-verifier.ts and upstream/issued-tokens.ts). */
export interface CompatHealing {
  /** Remembers every token handed out, so the passthrough recognises it after a rotation. */
  readonly issued: IssuedTokens;
  /** Verifies a token before handing it out again to an SDK that came back early; null: never verify. */
  readonly verifier: TokenVerifier | null;
}

/** WeChat's token success body. */
export interface WeChatTokenBody {
  access_token: string;
  expires_in: number;
}

/** The token paths the hub answers itself; everything else under the passthrough prefixes goes upstream. */
export const TOKEN_PATH = '/cgi-bin/token';
export const STABLE_TOKEN_PATH = '/cgi-bin/stable_token';

/** One of the token paths the hub answers itself (WeChat's two, WeCom's gettoken). */
export type CompatTokenPath = typeof TOKEN_PATH | typeof STABLE_TOKEN_PATH | typeof WECOM_TOKEN_PATH;

/**
 * Answers a token request of either compatible endpoint from the hub's managed token. The `secret` is either the
 * app's AppSecret or a client key scoped to the app. Never fetches from WeChat itself, never echoes the secret.
 */
export type CompatTokenHandler = (
  request: FastifyRequest,
  reply: FastifyReply,
  path: CompatTokenPath,
) => Promise<WeChatTokenBody | WeChatErrorBody | WeComTokenAnswer>;

type EndpointHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<WeChatTokenBody | WeChatErrorBody | WeComTokenAnswer>;

/** Which compatible endpoint a normalised path names, if any (so odd spellings never reach the passthrough). */
export function compatTokenPath(path: string): CompatTokenPath | null {
  const normalised = path.toLowerCase().replace(/\/{2,}/g, '/').replace(/\/+$/, '');
  if (normalised === TOKEN_PATH) return TOKEN_PATH;
  if (normalised === STABLE_TOKEN_PATH) return STABLE_TOKEN_PATH;
  if (normalised === WECOM_TOKEN_PATH) return WECOM_TOKEN_PATH;
  return null;
}

interface TokenParams {
  grant_type?: unknown;
  appid?: unknown;
  secret?: unknown;
}

/**
 * GET /cgi-bin/token and POST /cgi-bin/stable_token (and WeCom's GET /cgi-bin/gettoken, wecom-token-endpoint.ts). `force_refresh` is ignored on purpose: only the hub decides
 * when a token is renewed (a caller forcing one would invalidate the token every other caller holds).
 */
export function registerCompatTokenRoutes(
  app: FastifyInstance,
  ctx: RouteContext,
  replies: WeChatReplies,
  random: () => number,
  healing: CompatHealing,
): CompatTokenHandler {
  const { service, clock, metrics, guard } = ctx;
  // Before any route of the scope: a sign-only key is refused here and by the passthrough alike.
  registerCompatKeyCheck(app, service, replies);

  async function issue(request: FastifyRequest, reply: FastifyReply, params: TokenParams): Promise<WeChatTokenBody | WeChatErrorBody> {
    const { grant_type: grantType, appid, secret } = params;
    if (grantType !== 'client_credential') return replies.error(COMPAT_ERRORS.invalidGrantType);
    if (appid === undefined || appid === '') return replies.error(COMPAT_ERRORS.appidMissing);
    if (typeof appid !== 'string' || !APPID_PATTERN.test(appid)) return replies.error(COMPAT_ERRORS.invalidAppid);
    if (secret === undefined || secret === '') return replies.error(COMPAT_ERRORS.appsecretMissing);
    try {
      guard.assertAllowed(request, 'compat');
      const key = typeof secret === 'string' ? service.authenticate(secret) : null;
      // A key without the capability (sign-only) is refused outright (403), not taken for a wrong secret.
      if (key !== null && !keyAllows(key, null, 'read-token')) return signOnlyRefusal(replies);
      if (typeof secret !== 'string' || !(await secretAccepted(appid, secret))) {
        guard.failed(request, 'compat');
        // Distinguish an unknown app from a wrong secret, as WeChat does (appids are not secret).
        return replies.error((await service.hasApp(appid)) ? COMPAT_ERRORS.invalidAppsecret : COMPAT_ERRORS.invalidAppid);
      }
      let issued = await service.getAccessToken(appid);
      let until = compatExpiresAt(issued, service.tokenRefreshAt?.(appid), clock.now());
      if (healing.verifier !== null) {
        const checked = await healing.verifier.check(appid, issued, until, request.ip, request.log);
        if (checked.token !== issued.token) {
          issued = checked;
          until = compatExpiresAt(issued, service.tokenRefreshAt?.(appid), clock.now());
        }
      }
      healing.issued.remember(issued.token, appid, issued.expiresAt);
      metrics?.tokenRead(appid, 'compat');
      // Ends at the hub's refresh time, not the token's death: see compat-expiry.ts.
      return { access_token: issued.token, expires_in: compatExpiresIn(until, clock.now()) };
    } catch (err) {
      if (err instanceof AuthThrottledError) {
        // An SDK understands WeChat's own "slow down" errcode; the status and Retry-After say the same to HTTP.
        reply.code(429).header('retry-after', String(err.retryAfterSeconds));
        return replies.error(COMPAT_ERRORS.minuteQuota, 'too many failed authentications from this address');
      }
      // WeChat's shape hides the status, so log here what the API routes' error handler logs for a 5xx.
      logFailure(request, toHttpFailure(err), err);
      return replies.fromHubError(err);
    }
  }

  async function secretAccepted(appid: string, secret: string): Promise<boolean> {
    const key = service.authenticate(secret);
    if (key !== null) return keyAllows(key, appResource(appid), 'read-token');
    return service.verifySecret(appid, secret);
  }

  function send(reply: FastifyReply, body: WeChatTokenBody | WeChatErrorBody): WeChatTokenBody | WeChatErrorBody {
    if ('access_token' in body) reply.header('cache-control', 'no-store');
    // The one compat refusal with its own status: a key without the capability (see key-capability.ts).
    else if (body.errcode === COMPAT_ERRORS.apiUnauthorized.errcode) reply.code(403);
    return body;
  }

  const token: EndpointHandler = async (request, reply) => {
    // WeChat reads these from the query whatever the method; so does the hub.
    return send(reply, await issue(request, reply, (request.query ?? {}) as TokenParams));
  };

  const stableToken: EndpointHandler = async (request, reply) => {
    if (request.method !== 'POST') return replies.error(COMPAT_ERRORS.requirePost);
    const parsed = parseJsonObject(request.body);
    if (parsed === null) return replies.error(COMPAT_ERRORS.dataFormatError);
    return send(reply, await issue(request, reply, parsed));
  };

  const wecomToken: EndpointHandler = wecomTokenHandler(ctx, random);

  app.all(TOKEN_PATH, token);
  app.all(STABLE_TOKEN_PATH, stableToken);
  app.all(WECOM_TOKEN_PATH, wecomToken);

  const handlers: Record<CompatTokenPath, EndpointHandler> = { [TOKEN_PATH]: token, [STABLE_TOKEN_PATH]: stableToken, [WECOM_TOKEN_PATH]: wecomToken };
  return async (request, reply, path) => handlers[path](request, reply);
}

/** The request body (raw bytes in the compat scope) as a JSON object, or null. */
function parseJsonObject(body: unknown): TokenParams | null {
  if (!Buffer.isBuffer(body) || body.length === 0) return null;
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as TokenParams) : null;
  } catch {
    return null;
  }
}
