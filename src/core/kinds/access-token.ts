import { QuotaExhaustedError, UpstreamUnavailableError, WeChatError } from '../../errors/index.js';
import type { AccessToken } from '../../wechat/index.js';
import type { CredentialFetcher } from '../token-fetcher.js';
import { forceGate, forceLogOf, logForce, type ForceLimits, type ForceLog } from './force-gate.js';
import { grantOf } from '../principals.js';
import { StateChange, type CredentialKind, type ObtainRequest, type Obtained } from './kind.js';

/**
 * The Official Account / Mini Program access token (`/cgi-bin/token` for the classic grant, `/cgi-bin/stable_token`
 * for the stable one). Classic: every fetch is a new token and retires the previous one 300 s later. Stable:
 * normal mode hands back the token WeChat considers current; only a force call replaces it, within WeChat's
 * spacing and daily limit, whose log is this kind's state.
 */
export function accessTokenKind(fetcher: CredentialFetcher, limits: ForceLimits): CredentialKind {
  return {
    name: 'access_token',
    principalType: 'app',
    eager: true,
    obtain: (request) => obtainAccessToken(fetcher, limits, request),
    canReplace: (principal, record, now) => grantOf(principal) !== 'stable' || !('exhausted' in forceGate(forceLogOf(record.state), now, limits)),
  };
}

async function obtainAccessToken(fetcher: CredentialFetcher, limits: ForceLimits, request: ObtainRequest): Promise<Obtained> {
  const { principal, intent, record } = request;
  const appid = principal.id;
  const grant = grantOf(principal);
  const stable = grant === 'stable';
  const credentials = { appid, secret: request.secret(), grant };
  let log = forceLogOf(record?.state);
  // With no token to replace (a first fetch, a failed app), normal mode is enough and spends no force.
  let wantForce = stable && intent.mode === 'force' && intent.previous !== null;
  let token: AccessToken | null = wantForce ? null : await fetcher.fetchToken(credentials, { force: false });
  // Stable normal mode hands back the token WeChat considers current; if that is the one a caller reported
  // (someone else did not replace it), only a force refresh can replace it.
  if (stable && intent.mode === 'invalidate' && token?.token === intent.badToken) wantForce = true;
  if (wantForce) {
    const gate = forceGate(log, request.now(), limits);
    if ('waitUntil' in gate) return gate;
    if ('exhausted' in gate) {
      if (intent.mode === 'force') throw new QuotaExhaustedError(`the daily limit of ${limits.dailyLimit} force refreshes for app ${appid} is used up`);
      request.log.warn({ appid }, 'force refresh limit reached; keeping the token WeChat reports as current');
    } else {
      try {
        token = await fetcher.fetchToken(credentials, { force: true });
        log = logForce(log, request.now(), limits);
      } catch (err) {
        // 45009 on a force call means today's forces are gone (spent elsewhere, or our count was lost). That limits
        // force mode only: normal mode has its own quota, so this must not become an app-wide failure.
        if (!(err instanceof WeChatError && err.category === 'quota')) throw err;
        log = logForce(log, request.now(), limits, true);
        if (intent.mode === 'force' || !token) {
          throw new StateChange(stateOf(log), new QuotaExhaustedError(`WeChat refused a force refresh for app ${appid}: ${err.message}`));
        }
        request.log.warn({ appid }, 'WeChat refused a force refresh; keeping the token it reports as current');
      }
    }
  }
  if (!token) throw new UpstreamUnavailableError(`no token obtained for app ${appid}`);
  return { token: token.token, expiresAt: token.expiresAt, obtainedAt: request.startedAt, state: stateOf(log) };
}

function stateOf(log: ForceLog | null): { forceLog: ForceLog } | null {
  return log ? { forceLog: log } : null;
}
