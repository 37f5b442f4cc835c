/**
 * When a ticket endpoint hands out the ticket it holds and when it issues a new one (decision 6 as corrected by
 * wechat-open-platform.md §4.1). A pure function of the current ticket, the time and the configured rule, so the
 * rule is table-tested apart from HTTP and state.
 */
import type { Credential } from './credential-slot.js';

/**
 * `on-expiry` (default, WeChat as observed): the current ticket is returned unchanged until its life ends, then a new
 * one is issued. `on-fetch` (the simulator's earlier rule, kept for tests that want churn): every call issues a new
 * ticket and the previous one stays valid for the grace period.
 */
export const TICKET_ROTATIONS = ['on-expiry', 'on-fetch'] as const;

/** One of TICKET_ROTATIONS. */
export type TicketRotation = (typeof TICKET_ROTATIONS)[number];

/** What a ticket request does: hand out the current ticket, or issue a new one and retire the old one at a deadline. */
export type TicketDecision =
  | { readonly action: 'reuse'; readonly ticket: Credential }
  | { readonly action: 'issue'; readonly previousDeadline: number };

/** Decides a ticket request at `now` given the slot's current ticket (undefined if none was ever issued). */
export function decideTicket(current: Credential | undefined, now: number, rotation: TicketRotation, graceMs: number): TicketDecision {
  if (rotation === 'on-fetch') return { action: 'issue', previousDeadline: now + graceMs };
  if (current && now < current.expiresAt) return { action: 'reuse', ticket: current };
  // The old ticket has already reached its own end; it stays dead (42001-like "expired") rather than superseded.
  return { action: 'issue', previousDeadline: Number.POSITIVE_INFINITY };
}

/**
 * The `expires_in` a ticket answer carries: always the full lifetime in whole seconds (at least 1), never what
 * remains — repeat getticket calls report 7200 each time (wechat-open-platform.md §4.1 [oC28]).
 */
export function ticketExpiresIn(ticketTtlMs: number): number {
  return Math.max(1, Math.floor(ticketTtlMs / 1000));
}
