import { wecomAgentOf } from '../principals.js';
import type { CredentialFetcher } from '../token-fetcher.js';
import type { CredentialKind } from './kind.js';
import { nextStickyRecord, stickyValueUntil } from './sticky-value.js';

/**
 * A WeCom app's access token (`/cgi-bin/gettoken` with the app's secret). WeCom answers the current token unchanged
 * while it is valid, with the full `expires_in`, so the token is dated from when the hub first saw it, as tickets
 * are (sticky-value.ts). A report of the current token may still call: WeCom can end a token early (a secret reset,
 * "运营需要"), and then gettoken brings a new one.
 */
export function wecomTokenKind(fetcher: CredentialFetcher): CredentialKind {
  return {
    name: 'wecom_token',
    principalType: 'wecom_agent',
    eager: true,
    async obtain(request) {
      const { corpid } = wecomAgentOf(request.principal);
      const token = await fetcher.fetchWeComToken({ corpid, secret: request.secret() });
      return nextStickyRecord({ ...request, returnedAt: request.now() }, token.token, token.expiresAt - request.startedAt);
    },
    stickyUntil: stickyValueUntil,
  };
}
