import type { KindState } from '../../stores/store.js';

/**
 * A fleet-wide hourly call budget kept in a credential's kind state (so every instance counts the same calls):
 * WeCom allows 100 ticket calls per app per hour. Hours are clock hours (epoch-aligned), as WeCom counts them.
 */

const HOUR_MS = 3_600_000;

/** Calls counted in one clock hour. */
export interface HourlyCount {
  /** Start of the hour (epoch ms). */
  readonly hour: number;
  readonly calls: number;
}

/** The count held in a kind state under `budget`, if well formed. */
export function hourlyCountOf(state: KindState | null | undefined): HourlyCount | null {
  const budget = state?.budget as Partial<HourlyCount> | undefined;
  if (!budget || typeof budget.hour !== 'number' || typeof budget.calls !== 'number') return null;
  return { hour: budget.hour, calls: budget.calls };
}

/** Whether a call may be made at `now` under `limit` calls an hour; else when the next hour starts. */
export function budgetAllows(count: HourlyCount | null, now: number, limit: number): true | { readonly waitUntil: number } {
  const hour = now - (now % HOUR_MS);
  if (!count || count.hour !== hour || count.calls < limit) return true;
  return { waitUntil: hour + HOUR_MS };
}

/** The count after one more call at `now`. */
export function countCall(count: HourlyCount | null, now: number): HourlyCount {
  const hour = now - (now % HOUR_MS);
  return { hour, calls: count?.hour === hour ? count.calls + 1 : 1 };
}
