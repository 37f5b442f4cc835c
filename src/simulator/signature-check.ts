/**
 * How WeChat's page check judges a JS-SDK (or card) signature, as the simulator models it: the signature must have
 * been made with a ticket that is valid now. A pure function of the slot's tickets, the time and a predicate that
 * says whether a ticket value reproduces the signature, so the reasons are table-tested apart from HTTP.
 */
import type { Credential } from './credential-slot.js';

/** Why a signature was refused. */
export type SignatureRefusal =
  /** No app, corp or agent by that id is registered. */
  | 'unknown-app'
  /** The app has never been issued a ticket of that kind: nothing could have signed it. */
  | 'no-ticket'
  /** It was made with a ticket the app had, which is no longer valid (expired, or superseded past its grace). */
  | 'expired-ticket'
  /** No ticket the app ever had reproduces it: wrong url, nonceStr, timestamp, ticket kind or algorithm. */
  | 'mismatch';

/** The verdict: valid with the ticket that signed it, or refused with a reason. */
export type SignatureVerdict =
  | { readonly valid: true; readonly ticket: Credential }
  | { readonly valid: false; readonly reason: SignatureRefusal; readonly ticket?: Credential };

/** A ticket the slot holds or held, with the instant it stops (or stopped) being valid. */
export interface KnownTicket {
  readonly credential: Credential;
  readonly validUntil: number;
}

/**
 * Judges a signature at `now` against the tickets a slot holds or held (any order). A ticket valid now wins over an
 * older one with the same value (there is none in practice: tickets are random).
 */
export function judgeSignature(known: readonly KnownTicket[], now: number, signedWith: (ticket: string) => boolean): SignatureVerdict {
  if (known.length === 0) return { valid: false, reason: 'no-ticket' };
  let stale: Credential | undefined;
  for (const { credential, validUntil } of known) {
    if (!signedWith(credential.value)) continue;
    if (now < validUntil) return { valid: true, ticket: credential };
    stale ??= credential;
  }
  return stale ? { valid: false, reason: 'expired-ticket', ticket: stale } : { valid: false, reason: 'mismatch' };
}
