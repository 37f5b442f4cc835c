import type { Store } from '../../stores/store.js';
import { NewestRecords } from './newest-record.js';

/**
 * The last authorization code of a component that WeChat refused (61009 invalid, 61010 expired: §2.4, §7.2 item 3).
 * No authorizer is known for such a code, so no authorizer status can say it; the component's record does, kept in
 * the shared store like the verify ticket so every instance's admin API and CLI show it, whichever instance saw it.
 */

/** Where the refused code arrived: the merchant's browser (redirect) or the `authorized` event. */
export type AuthorizationCodeSource = 'redirect' | 'event';

/** A refused authorization code. */
export interface AuthorizationFailure {
  readonly at: number;
  readonly errcode: number;
  readonly source: AuthorizationCodeSource;
}

/** What the redirect target tells the component's landing page when the merchant must authorize again. */
export type AuthorizationErrorParam = 'authorization_code_invalid' | 'authorization_code_expired';

/** The errcodes of api_query_auth that mean the code cannot be exchanged and the merchant must authorize again. */
export function authorizationErrorOf(errcode: number): AuthorizationErrorParam | undefined {
  if (errcode === 61010) return 'authorization_code_expired';
  if (errcode === 61009) return 'authorization_code_invalid';
  return undefined;
}

/** Whether a refused code replaces the stored one: the later wins (a late write never hides a newer failure). */
export function decideAuthorizationFailure(stored: AuthorizationFailure | null, incoming: AuthorizationFailure): 'store' | 'keep' {
  return stored === null || incoming.at >= stored.at ? 'store' : 'keep';
}

/** Components' last refused authorization codes in the shared store (record `component:<c>:authorization_failure`). */
export class AuthorizationFailures extends NewestRecords<AuthorizationFailure> {
  constructor(store: Store) {
    super(store, {
      name: 'authorization_failure',
      decide: decideAuthorizationFailure,
      decode: (record) => {
        const state = record?.state;
        if (!state || typeof state.at !== 'number' || typeof state.errcode !== 'number' || (state.source !== 'redirect' && state.source !== 'event')) return null;
        return { at: state.at, errcode: state.errcode, source: state.source };
      },
      // No value: the record carries the failure only (nothing to seal, nothing any kind serves).
      encode: (failure) => ({
        token: null,
        obtainedAt: failure.at,
        expiresAt: 0,
        failure: null,
        state: { at: failure.at, errcode: failure.errcode, source: failure.source },
        pending: null,
        invalidations: 0,
      }),
    });
  }
}
