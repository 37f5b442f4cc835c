import type { CredentialRecord, KindState } from '../../stores/store.js';
import { wecomAgentOf } from '../principals.js';
import type { CredentialFetcher } from '../token-fetcher.js';
import type { CredentialKind, Obtained, ObtainedValue } from './kind.js';
import { nextStickyRecord, stickyValueUntil } from './sticky-value.js';

/**
 * How far apart two answers' implied expiries (call start + `expires_in`) may lie and still name the same moment:
 * the call's latency and WeCom's whole-second rounding.
 */
export const IMPLIED_EXPIRY_SLACK_MS = 2_000;

/**
 * `expires_in` counts whole seconds, rounded down: a token whose implied end has come may live up to this much
 * longer, and gettoken hands it back until then, so no new one is asked for before.
 */
export const EXPIRES_IN_RESOLUTION_MS = 1_000;

/**
 * How soon to ask again when gettoken still hands back a token whose known end has passed (the hub's clock a little
 * ahead of WeCom's, or a call started a few milliseconds early): WeCom replaces it within moments.
 */
export const STILL_HELD_RETRY_MS = 250;

/**
 * A WeCom app's access token (`/cgi-bin/gettoken` with the app's secret). WeCom answers the current token unchanged
 * while it is valid, so a token first seen has an unknown age, and is dated from when it first appeared, as tickets
 * are (sticky-value.ts). Whether the repeated answer carries the full `expires_in` or what is left of it, WeCom's
 * docs do not say; the kind finds out: when two answers with the same token imply the same expiry (call start +
 * `expires_in`), WeCom counts the life down, and that expiry is the token's own (see nextWeComTokenRecord). A report
 * of the current token may still call: WeCom can end a token early (a secret reset, "运营需要"), and then gettoken
 * brings a new one.
 */
export function wecomTokenKind(fetcher: CredentialFetcher): CredentialKind {
  return {
    name: 'wecom_token',
    principalType: 'wecom_agent',
    eager: true,
    async obtain(request) {
      const { corpid } = wecomAgentOf(request.principal);
      const token = await fetcher.fetchWeComToken({ corpid, secret: request.secret() });
      return nextWeComTokenRecord({ ...request, returnedAt: request.now() }, token.token, token.expiresAt);
    },
    stickyUntil: (record) => (exactExpiry(record.state) ? record.expiresAt + EXPIRES_IN_RESOLUTION_MS : stickyValueUntil(record)),
  };
}

/**
 * What a gettoken answer (`value`, implied expiry `impliedExpiresAt` = call start + expires_in) makes of the record:
 * the value to store, or, when WeCom still hands back a token whose known end has passed, a short wait before
 * asking again (its successor is moments away; storing the dead token would only fail the callers waiting).
 */
export function nextWeComTokenRecord(
  call: { readonly record: CredentialRecord | null; readonly startedAt: number; readonly returnedAt: number },
  value: string,
  impliedExpiresAt: number,
): Obtained {
  const { record } = call;
  // Once WeCom was seen counting down, every answer tells its token's end.
  if (record && exactExpiry(record.state)) {
    if (record.token === value && call.startedAt >= record.expiresAt) return { waitUntil: call.returnedAt + STILL_HELD_RETRY_MS };
    // The same token again never lives longer than first implied: near its end, WeCom rounds what is left up to 1 s.
    if (record.token === value) {
      const expiresAt = Math.min(record.expiresAt, impliedExpiresAt);
      return { token: value, obtainedAt: record.obtainedAt, expiresAt, state: { impliedExpiresAt: expiresAt, exact: true } };
    }
    return { token: value, obtainedAt: call.startedAt, expiresAt: impliedExpiresAt, state: { impliedExpiresAt, exact: true } };
  }
  const previousImplied = impliedExpiryOf(record?.state);
  if (record?.token === value && previousImplied !== undefined && Math.abs(impliedExpiresAt - previousImplied) <= IMPLIED_EXPIRY_SLACK_MS) {
    // Two answers, one moment: WeCom reports the remaining life, so this is when the token really ends.
    const expiresAt = Math.min(impliedExpiresAt, previousImplied);
    return { token: value, obtainedAt: record.obtainedAt, expiresAt, state: { impliedExpiresAt: expiresAt, exact: true } };
  }
  const next = nextStickyRecord(call, value, impliedExpiresAt - call.startedAt);
  return { ...next, state: { ...next.state, impliedExpiresAt } };
}

function impliedExpiryOf(state: KindState | null | undefined): number | undefined {
  return typeof state?.impliedExpiresAt === 'number' ? state.impliedExpiresAt : undefined;
}

function exactExpiry(state: KindState | null | undefined): boolean {
  return state?.exact === true;
}
