import type { CredentialRecord, KindState } from '../../stores/store.js';
import type { ObtainRequest, ObtainedValue } from './kind.js';

/**
 * Dating a sticky value: one that upstream hands back unchanged until it expires, always with its full nominal life
 * (`expires_in: 7200`) rather than what is left of it. JS-SDK tickets and WeCom access tokens and tickets are such
 * values; their kinds share this module. Expiry is computed from when a value first appeared: a value seen to
 * replace a confirmed earlier one was issued after that confirmation, and lives its nominal life from then. A value
 * first seen with nothing before it (a cold start, or one someone else fetched) has an unknown age: it is vouched
 * for one probe interval at a time and confirmed again, until it is replaced and its successor's age is known.
 */

/**
 * How often a value of unknown age is confirmed, as a fraction of its nominal life (15 min for 7200 s, as
 * ../shared/wechat-open-platform.md §7.3 item 6 suggests): the longest a value that died unseen can be served.
 */
export const STICKY_PROBE_FRACTION = 1 / 8;
/**
 * Once a ticket is seen alive past the earliest moment it could have expired, it is confirmed this often (30 s
 * for 7200 s) until it is replaced, which pins its successor's issue time to within that: from then on one
 * getticket per lifetime, made when the ticket has surely expired.
 */
export const STICKY_FINE_PROBE_FRACTION = 1 / 240;
/** A fine probe interval is never shorter than this many upstream calls (compressed lifetimes in tests). */
const CALLS_PER_FINE_PROBE = 4;
/** Call latency tolerated on top of the fine probe when judging whether an issue time is known closely. */
const ISSUE_TIME_SLACK_MS = 1_000;

/**
 * A ticket's bookkeeping. Its issue time lies between `obtainedAt` (the record's: the last moment its predecessor
 * was confirmed current) and `seenAt` (when the call that first returned it came back), so it expires between
 * `expiresAt` (served until then) and `seenAt` + its life (the first moment getticket surely brings a new one).
 */
export interface StickyState {
  /** Start of the last getticket call that returned the held value: it was current then. */
  readonly checkedAt: number;
  /** When the call that first returned the value came back. */
  readonly seenAt: number;
  /** True when the value's issue time is known from below (it appeared after a confirmed earlier value). */
  readonly ageKnown: boolean;
}

/** What an upstream answer (`value`, nominal life `lifetimeMs`) makes of the record it may replace. */
export function nextStickyRecord(
  call: Pick<ObtainRequest, 'record' | 'startedAt'> & { readonly returnedAt: number },
  value: string,
  lifetimeMs: number,
): ObtainedValue {
  const { record, startedAt, returnedAt } = call;
  const previous = record?.token ? stickyStateOf(record.state) : null;
  const unknownAge = (intervalMs: number): ObtainedValue => ({
    token: value,
    obtainedAt: startedAt,
    expiresAt: startedAt + Math.max(1, Math.floor(intervalMs)),
    state: { checkedAt: startedAt, seenAt: previous && record?.token === value ? previous.seenAt : returnedAt, ageKnown: false },
  });
  const probeMs = lifetimeMs * STICKY_PROBE_FRACTION;
  // Confirming more often than a call takes would vouch for nothing: a window shorter than the call ends on arrival.
  const fineMs = Math.max(lifetimeMs * STICKY_FINE_PROBE_FRACTION, CALLS_PER_FINE_PROBE * (returnedAt - startedAt));
  if (!record || !previous) return unknownAge(probeMs);
  if (record.token === value) {
    if (previous.ageKnown && startedAt < record.expiresAt) {
      return { token: value, obtainedAt: record.obtainedAt, expiresAt: record.expiresAt, state: { ...previous, checkedAt: startedAt } };
    }
    // Alive past the earliest moment it could have died: confirm it closely until it is replaced.
    if (previous.ageKnown) return unknownAge(fineMs);
    return unknownAge(record.expiresAt - record.obtainedAt);
  }
  // A new value: issued after the old one was last confirmed, and, when the old one's known life has run out,
  // not before its end, since getticket hands out the current ticket until it ends. (A value replaced before its
  // known end did not live it, so only the confirmation bounds its successor.)
  const oldLivedOut = previous.ageKnown && record.expiresAt <= startedAt;
  const issuedAfter = oldLivedOut ? Math.max(previous.checkedAt, record.expiresAt) : previous.checkedAt;
  const expiresAt = issuedAfter + lifetimeMs;
  // Issued so long ago that its known life is shorter than a probe: the bound says too little, treat it as unknown.
  if (expiresAt - startedAt < probeMs) return unknownAge(probeMs);
  return { token: value, obtainedAt: issuedAfter, expiresAt, state: { checkedAt: startedAt, seenAt: returnedAt, ageKnown: true } };
}

/**
 * Until when getticket can only answer the record's value. A ticket whose issue time is known closely is not
 * asked for again before it has surely expired (one call per lifetime); one known loosely only before it may
 * have (then it is confirmed closely, see nextStickyRecord). Unknown age: undefined (probe as scheduled).
 */
export function stickyValueUntil(record: CredentialRecord): number | undefined {
  const state = stickyStateOf(record.state);
  if (!state?.ageKnown) return undefined;
  const lifetime = record.expiresAt - record.obtainedAt;
  const closeEnough = lifetime * STICKY_FINE_PROBE_FRACTION + ISSUE_TIME_SLACK_MS;
  return state.seenAt - record.obtainedAt <= closeEnough ? state.seenAt + lifetime : record.expiresAt;
}

/** The ticket state held in a record, if well formed. */
export function stickyStateOf(state: KindState | null | undefined): StickyState | null {
  if (!state || typeof state.checkedAt !== 'number' || typeof state.seenAt !== 'number' || typeof state.ageKnown !== 'boolean') return null;
  return { checkedAt: state.checkedAt, seenAt: state.seenAt, ageKnown: state.ageKnown };
}

/** Whether a record's ticket age is known (for the API: a ticket of unknown age is vouched for a probe at a time). */
export function stickyAgeKnown(record: CredentialRecord | null): boolean {
  return stickyStateOf(record?.state)?.ageKnown ?? false;
}
