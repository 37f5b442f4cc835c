import type { TicketType } from '../../wechat/index.js';
import type { CredentialRecord, KindState } from '../../stores/store.js';
import type { CredentialFetcher } from '../token-fetcher.js';
import type { CredentialKind, ObtainRequest, ObtainedValue } from './kind.js';

/**
 * How often a ticket of unknown age is confirmed, as a fraction of its nominal life (15 min for 7200 s, as
 * ../shared/wechat-open-platform.md §7.3 item 6 suggests): the longest a ticket that died unseen can be served.
 */
export const TICKET_PROBE_FRACTION = 1 / 8;

/** A ticket's bookkeeping: when WeChat last confirmed the value, and whether its issue time is bounded. */
export interface TicketState {
  /** Start of the last getticket call that returned the held value: it was current then. */
  readonly checkedAt: number;
  /** True when the value's issue time is known from below (it appeared after a confirmed earlier value). */
  readonly ageKnown: boolean;
}

/**
 * A JS-SDK (`jsapi`) or card (`wx_card`) ticket of an app, fetched with the app's access token.
 *
 * getticket returns the same ticket until it expires, always with `expires_in: 7200` (not the remaining life), so
 * expiry is computed from when the value first appeared: a value seen to replace a confirmed earlier one was issued
 * after that confirmation, and lives its nominal life from then. A value first seen with nothing before it (a cold
 * start, or a ticket someone else fetched) has an unknown age: it is vouched for one probe interval at a time and
 * confirmed again, until it is replaced and its successor's age is known.
 */
export function ticketKind(type: TicketType, parent: CredentialKind, fetcher: CredentialFetcher): CredentialKind {
  return {
    name: `${type}_ticket`,
    parent,
    eager: false,
    async obtain(request) {
      if (request.parentToken === undefined) throw new Error('a ticket is fetched with its app access token');
      const ticket = await fetcher.fetchTicket(request.parentToken, type);
      return nextTicketRecord(request, ticket.ticket, ticket.expiresAt - request.startedAt);
    },
    stickyUntil: (record) => (ticketStateOf(record.state)?.ageKnown ? record.expiresAt : undefined),
  };
}

/** What a getticket answer (`value`, nominal life `lifetimeMs`) makes of the record it may replace. */
export function nextTicketRecord(request: Pick<ObtainRequest, 'record' | 'startedAt'>, value: string, lifetimeMs: number): ObtainedValue {
  const { record, startedAt } = request;
  const previous = record?.token ? ticketStateOf(record.state) : null;
  const probeMs = Math.max(1, Math.floor(lifetimeMs * TICKET_PROBE_FRACTION));
  const checked: TicketState = { checkedAt: startedAt, ageKnown: false };
  const unknownAge: ObtainedValue = { token: value, obtainedAt: startedAt, expiresAt: startedAt + probeMs, state: { ...checked } };
  if (!record || !previous) return unknownAge;
  if (record.token === value) {
    // Still current. A value of known age keeps its expiry unless WeChat outlives our estimate of it.
    if (previous.ageKnown && startedAt < record.expiresAt) return { token: value, obtainedAt: record.obtainedAt, expiresAt: record.expiresAt, state: { checkedAt: startedAt, ageKnown: true } };
    return unknownAge;
  }
  // A new value: issued after the old one was last confirmed, and, when the old one's known life has run out,
  // not before its end, since getticket hands out the current ticket until it ends. (A value replaced before its
  // known end did not live it, so only the confirmation bounds its successor.)
  const oldLivedOut = previous.ageKnown && record.expiresAt <= startedAt;
  const issuedAfter = oldLivedOut ? Math.max(previous.checkedAt, record.expiresAt) : previous.checkedAt;
  const expiresAt = issuedAfter + lifetimeMs;
  // Issued so long ago that its known life is shorter than a probe: the bound says too little, treat it as unknown.
  if (expiresAt - startedAt < probeMs) return unknownAge;
  return { token: value, obtainedAt: issuedAfter, expiresAt, state: { checkedAt: startedAt, ageKnown: true } };
}

/** The ticket state held in a record, if well formed. */
export function ticketStateOf(state: KindState | null | undefined): TicketState | null {
  if (!state || typeof state.checkedAt !== 'number' || typeof state.ageKnown !== 'boolean') return null;
  return { checkedAt: state.checkedAt, ageKnown: state.ageKnown };
}

/** Whether a record's ticket age is known (for the API: a ticket of unknown age is vouched for a probe at a time). */
export function ticketAgeKnown(record: CredentialRecord | null): boolean {
  return ticketStateOf(record?.state)?.ageKnown ?? false;
}
