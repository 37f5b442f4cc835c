import type { PrincipalRecord, Store } from '../../stores/store.js';
import type { Clock } from '../../util/clock.js';
import type { PrincipalCredentials } from '../principal-credentials.js';
import { authorizerId, authorizerOf, REFRESH_HISTORY_SECRET, REFRESH_TOKEN_SECRET } from './ids.js';
import { AUTHORIZER_STATUSES, nextRefreshToken, parseRefreshHistory, type AuthorizerStatus, type RefreshTokenSource } from './refresh-token.js';

/** An authorizer as listed. No refresh token, only whether one is held. */
export interface AuthorizerInfo {
  readonly componentAppid: string;
  readonly authorizerAppid: string;
  readonly status: AuthorizerStatus;
  readonly reason: string;
  readonly statusAt: number;
  readonly refreshTokenHeld: boolean;
  readonly funcScopes: readonly number[];
}

/** The hub operations the records need: the principal API and opening a sealed secret. */
type SecretHub = PrincipalCredentials & { principalSecret(id: string, name: string): Promise<string | undefined> };

/**
 * The authorizer principal (`component:<c>/<appid>`) as the Open Platform keeps it: the refresh token and its
 * history as sealed secrets, the status and why as attributes, all in one store write (refresh-token.ts decides
 * what a new value does).
 */
export class AuthorizerRecords {
  readonly #hub: SecretHub;
  readonly #store: Store;
  readonly #clock: Clock;

  constructor(hub: SecretHub, store: Store, clock: Clock) {
    this.#hub = hub;
    this.#store = store;
    this.#clock = clock;
  }

  /** An authorizer's plaintext secrets (refresh token and history), for a rewrite that keeps them. */
  async plainSecrets(id: string): Promise<Record<string, string>> {
    const secrets: Record<string, string> = {};
    for (const name of [REFRESH_TOKEN_SECRET, REFRESH_HISTORY_SECRET]) {
      const value = await this.#hub.principalSecret(id, name);
      if (value !== undefined) secrets[name] = value;
    }
    return secrets;
  }

  /**
   * Writes an authorizer in one store write: its refresh token (only if non-empty and new, with the history
   * extended), its status and reason. A refresh token and the status it makes `active` are never written apart.
   */
  async write(
    componentAppid: string,
    authorizerAppid: string,
    change: { refreshToken?: { value: string; source: RefreshTokenSource }; status?: AuthorizerStatus; reason?: string; funcScopes?: readonly number[] },
  ): Promise<void> {
    const id = authorizerId(componentAppid, authorizerAppid);
    const existing = await this.#store.getPrincipal(id);
    const secrets = await this.plainSecrets(id);
    const current = { value: secrets[REFRESH_TOKEN_SECRET] ?? '', history: parseRefreshHistory(secrets[REFRESH_HISTORY_SECRET]) };
    const now = this.#clock.now();
    const next = change.refreshToken ? nextRefreshToken(current, change.refreshToken.value, change.refreshToken.source, now) : null;
    if (next) {
      secrets[REFRESH_TOKEN_SECRET] = next.value;
      secrets[REFRESH_HISTORY_SECRET] = JSON.stringify(next.history);
    }
    const attributes: Record<string, string | number | boolean> = { ...(existing?.attributes ?? {}), component: componentAppid, appid: authorizerAppid };
    if (change.status !== undefined && change.status !== existing?.attributes.status) {
      attributes.status = change.status;
      attributes.statusAt = now;
    }
    attributes.status ??= 'active';
    attributes.statusAt ??= now;
    if (change.reason !== undefined) attributes.reason = change.reason;
    if (change.funcScopes !== undefined) attributes.funcScopes = change.funcScopes.join(',');
    await this.#hub.putPrincipal({ id, type: 'authorizer', attributes, secrets });
  }
}

/** An authorizer principal as listed. */
export function authorizerInfo(principal: PrincipalRecord): AuthorizerInfo {
  const { componentAppid, authorizerAppid } = authorizerOf(principal);
  const a = principal.attributes;
  return {
    componentAppid,
    authorizerAppid,
    status: (AUTHORIZER_STATUSES as readonly string[]).includes(String(a.status)) ? (a.status as AuthorizerStatus) : 'active',
    reason: String(a.reason ?? ''),
    statusAt: Number(a.statusAt ?? principal.createdAt),
    refreshTokenHeld: principal.secrets[REFRESH_TOKEN_SECRET] !== undefined,
    funcScopes: String(a.funcScopes ?? '')
      .split(',')
      .filter(Boolean)
      .map(Number),
  };
}
