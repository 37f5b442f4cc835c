import { AuthorizerInactiveError, WeChatError } from '../../errors/index.js';
import type { PrincipalRecord } from '../../stores/store.js';
import type { ConcurrencyLimit } from '../../util/concurrency-limit.js';
import { authorizerOf, componentId, REFRESH_TOKEN_SECRET, statusOf } from '../open-platform/ids.js';
import type { AuthorizerStatus } from '../open-platform/refresh-token.js';
import type { ComponentFetcher } from '../token-fetcher.js';
import type { CredentialKind } from './kind.js';

/** What the authorizer token kind asks of the Open Platform facade (which owns the authorizer principal). */
export interface AuthorizerTokenHooks {
  /** A refresh answered a different, non-empty refresh token: store it (source `refresh`). */
  refreshTokenChanged(principal: PrincipalRecord, value: string): Promise<void>;
  /** The refresh token was refused (61023): repair it from api_get_authorizer_list; the repaired value, if any. */
  repairRefreshToken(principal: PrincipalRecord): Promise<string | undefined>;
  /** WeChat said the authorizer cannot be served (61003 unauthorized, 61023 unrepairable, 50002 frozen). */
  statusChanged(principal: PrincipalRecord, status: AuthorizerStatus, reason: string): Promise<void>;
}

/**
 * An authorizer unused this many token lifetimes (24 h of 2 h tokens) is no longer refreshed before expiry; the next
 * caller fetches (../shared/wechat-open-platform.md §7.3 item 3: about 12 calls a day per active authorizer, none
 * for idle ones).
 */
export const AUTHORIZER_IDLE_AFTER_LIFETIMES = 12;

/** Tuning of the authorizer token kind. */
export interface AuthorizerTokenOptions {
  /** Bounds api_authorizer_token calls in flight, hub-wide (shared by every authorizer). */
  readonly limit: ConcurrencyLimit;
  /** Each token is served up to this much less than its life, at random: tokens fetched together refresh apart. */
  readonly jitterMs: number;
  readonly random: () => number;
}

/**
 * An authorizer's access token (`api_authorizer_token`), fetched with its component's token (the parent, on the
 * component principal) and the authorizer's refresh token (a sealed secret). A lazy kind: tracked once a caller
 * asks, then refreshed before expiry while callers use it (in the last 24 h) and on demand once they stop; calls
 * are bounded hub-wide and their expiry jittered so thousands of authorizers do not refresh at once. A refused
 * refresh token is repaired from the authorizer list before giving up (../shared/wechat-open-platform.md §7.2
 * items 1-3).
 */
export function authorizerTokenKind(fetcher: ComponentFetcher, componentToken: CredentialKind, hooks: AuthorizerTokenHooks, options: AuthorizerTokenOptions): CredentialKind {
  return {
    name: 'authorizer_token',
    principalType: 'authorizer',
    parent: componentToken,
    parentPrincipal: (principal) => componentId(authorizerOf(principal).componentAppid),
    eager: false,
    idleAfterLifetimes: AUTHORIZER_IDLE_AFTER_LIFETIMES,
    async obtain(request) {
      const { principal } = request;
      const { componentAppid, authorizerAppid } = authorizerOf(principal);
      const status = statusOf(principal);
      if (status !== 'active') {
        throw new AuthorizerInactiveError(`authorizer ${authorizerAppid} of component ${componentAppid} is ${status}: ${String(principal.attributes.reason ?? '')}`, status);
      }
      if (request.parentToken === undefined) throw new Error('an authorizer token is fetched with its component token');
      const componentToken = request.parentToken;
      const fetch = (refreshToken: string): ReturnType<ComponentFetcher['fetchAuthorizerToken']> =>
        options.limit.run(() => fetcher.fetchAuthorizerToken({ componentAppid, componentToken, authorizerAppid, refreshToken }));
      let sent = principal.secrets[REFRESH_TOKEN_SECRET] === undefined ? '' : request.secret(REFRESH_TOKEN_SECRET);
      let token;
      try {
        if (sent === '') throw new WeChatError(61023, 'no refresh token held', 'api_authorizer_token', 'bad-credentials');
        token = await fetch(sent);
      } catch (err) {
        if (!(err instanceof WeChatError)) throw err;
        if (err.errcode === 61003) {
          await hooks.statusChanged(principal, 'unauthorized', 'WeChat answered 61003: the account no longer authorizes this component');
          throw err;
        }
        if (err.errcode === 50002) {
          await hooks.statusChanged(principal, 'frozen', 'WeChat answered 50002: the account is frozen or limited');
          throw err;
        }
        if (err.errcode !== 61023) throw err;
        const repaired = await hooks.repairRefreshToken(principal);
        if (repaired === undefined || repaired === sent) {
          await hooks.statusChanged(principal, 'needs_reauth', 'the refresh token was refused (61023) and the authorizer list holds no other');
          throw err;
        }
        request.log.warn({ appid: principal.id }, 'refresh token refused (61023); repaired from the authorizer list');
        sent = repaired;
        token = await fetch(sent);
      }
      if (token.refreshToken !== '' && token.refreshToken !== sent) await hooks.refreshTokenChanged(principal, token.refreshToken);
      // The jitter scales with the life (2 min of a 2 h token), so compressed lifetimes in tests keep the same shape.
      const jitter = Math.floor(options.random() * Math.min(options.jitterMs, (token.expiresAt - request.startedAt) / 60));
      return { token: token.token, expiresAt: token.expiresAt - jitter, obtainedAt: request.startedAt, state: null };
    },
  };
}
