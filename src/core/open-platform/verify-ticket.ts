import type { Store } from '../../stores/store.js';
import { NewestRecords } from './newest-record.js';

/**
 * The component verify ticket: pushed by WeChat every 10 minutes, valid 12 hours, possibly the same value again
 * (../shared/wechat-open-platform.md §2.1, §7.2 item 4). It is not obtained, so it is no engine kind: the push
 * handler writes it into the shared store with a compare-and-set where the newest CreateTime wins, and the component
 * token kind reads the latest one. Every instance sees it; a restart loses nothing; its age is always known.
 */

/** A verify ticket's life (§2.1). */
export const VERIFY_TICKET_TTL_MS = 12 * 3_600_000;

/** The verify ticket as stored. */
export interface VerifyTicket {
  readonly ticket: string;
  /** The push's CreateTime, in ms: when WeChat made the ticket (its age counts from here). */
  readonly createdAt: number;
  /** When a hub instance received the push. */
  readonly receivedAt: number;
}

/**
 * What to do with a pushed ticket given the stored one: `store` a newer one (a later CreateTime, whatever the
 * value: a repeated value is normal), or `keep` the stored one (an older or equal CreateTime: a late or replayed
 * push never rolls the ticket back).
 */
export function decideVerifyTicket(stored: VerifyTicket | null, pushed: VerifyTicket): 'store' | 'keep' {
  if (pushed.ticket === '') return 'keep';
  if (stored === null) return 'store';
  return pushed.createdAt > stored.createdAt ? 'store' : 'keep';
}

/** Thresholds for a stale ticket (§7.3 item 2), by age. */
export const TICKET_WARN_AGE_MS = 25 * 60_000;
export const TICKET_START_PUSH_AGE_MS = 30 * 60_000;
export const TICKET_PAGE_AGE_MS = 6 * 3_600_000;
export const TICKET_CRITICAL_AGE_MS = 11 * 3_600_000;

/** How a component's ticket stands: `missing`, `fresh`, `late` (≥ 2 pushes missed), `stale` (start pushes), `old`, `critical`, `expired`. */
export type TicketHealth = 'missing' | 'fresh' | 'late' | 'stale' | 'old' | 'critical' | 'expired';

/** The health of a ticket of `ageMs` (undefined: none received). */
export function ticketHealth(ageMs: number | undefined): TicketHealth {
  if (ageMs === undefined) return 'missing';
  if (ageMs >= VERIFY_TICKET_TTL_MS) return 'expired';
  if (ageMs >= TICKET_CRITICAL_AGE_MS) return 'critical';
  if (ageMs >= TICKET_PAGE_AGE_MS) return 'old';
  if (ageMs >= TICKET_START_PUSH_AGE_MS) return 'stale';
  if (ageMs >= TICKET_WARN_AGE_MS) return 'late';
  return 'fresh';
}

/** Whether pushes should be restarted (api_start_push_ticket) for a ticket in this health. */
export function needsStartPush(health: TicketHealth): boolean {
  return health !== 'fresh' && health !== 'late';
}

/** Reads and writes verify tickets in the shared store (record `component:<c>:verify_ticket`), newest CreateTime winning. */
export class VerifyTickets extends NewestRecords<VerifyTicket> {
  constructor(store: Store) {
    super(store, {
      name: 'verify_ticket',
      decide: decideVerifyTicket,
      decode: (record) => {
        if (!record?.token) return null;
        const receivedAt = typeof record.state?.receivedAt === 'number' ? record.state.receivedAt : record.obtainedAt;
        return { ticket: record.token, createdAt: record.obtainedAt, receivedAt };
      },
      encode: (ticket) => ({
        token: ticket.ticket,
        obtainedAt: ticket.createdAt,
        expiresAt: ticket.createdAt + VERIFY_TICKET_TTL_MS,
        failure: null,
        state: { receivedAt: ticket.receivedAt },
        pending: null,
        invalidations: 0,
      }),
    });
  }
}
