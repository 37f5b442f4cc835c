import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { keyAllows, type ClientIdentity } from '../../core/key-scope.js';
import type { TokenService } from '../../core/token-service.js';
import { CLIENT_KEY_PREFIX } from '../../core/client-keys.js';
import { bearerKey } from '../auth.js';
import { resolvePassthroughTarget } from './passthrough-path.js';
import { secretBearingPath } from './secret-paths.js';
import { COMPAT_ERRORS, type WeChatErrorBody, type WeChatReplies } from './wechat-reply.js';

/** Query parameters in which a caller of the WeChat-compatible surface may present a client key. */
const KEY_PARAMETERS = ['secret', 'corpsecret', 'access_token'] as const;

/**
 * The client key a request to the WeChat-compatible surface presents, if any: in `Authorization: Bearer`, or in
 * the `secret`, `corpsecret` or `access_token` query parameter (where SDKs put what they were configured with). Null when none
 * of them is a known, unexpired client key.
 */
export function presentedClientKey(service: TokenService, request: FastifyRequest): ClientIdentity | null {
  const candidates: unknown[] = [bearerKey(request.headers.authorization)];
  const query = request.query as Record<string, unknown> | undefined;
  if (query) for (const name of KEY_PARAMETERS) candidates.push(query[name]);
  for (const candidate of candidates) {
    if (typeof candidate !== 'string' || !candidate.startsWith(CLIENT_KEY_PREFIX)) continue;
    const identity = service.authenticate(candidate);
    if (identity !== null) return identity;
  }
  return null;
}

/** The body of the 403 for a key that may not receive tokens (WeChat's "api unauthorized", 48001). */
export function signOnlyRefusal(replies: WeChatReplies): WeChatErrorBody {
  return replies.error(COMPAT_ERRORS.apiUnauthorized, 'this client key may only ask the hub for signatures, never for a token');
}

/**
 * Refuses, with HTTP 403 in WeChat's shape, every request of the WeChat-compatible scope (token endpoints and
 * passthrough alike) that presents a client key without the `read-token` capability: a sign-only key never
 * receives a token and never reaches WeChat through the hub. Requests presenting no client key pass untouched,
 * and so do requests to the secret-bearing paths, whose handler checks the capability each path needs.
 */
export function registerCompatKeyCheck(app: FastifyInstance, service: TokenService, replies: WeChatReplies): void {
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    // Secret-bearing paths check the capability they need themselves (a login-only key logs users in there).
    if (isSecretBearing(request.url)) return undefined;
    const identity = presentedClientKey(service, request);
    if (identity !== null && !keyAllows(identity, null, 'read-token')) {
      return reply.code(403).send(signOnlyRefusal(replies));
    }
    return undefined;
  });
}

/** Whether `url` resolves, as the passthrough resolves it, to a secret-bearing path. */
function isSecretBearing(url: string): boolean {
  try {
    return secretBearingPath(resolvePassthroughTarget(url).path) !== null;
  } catch {
    // Unresolvable: the passthrough refuses it anyway; the capability check below still applies.
    return false;
  }
}
