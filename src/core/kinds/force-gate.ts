import { shanghaiDay } from '../refresh-policy.js';
import type { KindState } from '../../stores/store.js';

/** WeChat: force refreshes of stable tokens must be ≥ 30 s apart, at most 20 a day ("otherwise no refresh"). */
export const DEFAULT_FORCE_SPACING_MS = 30_000;
export const DEFAULT_FORCE_DAILY_LIMIT = 20;

/** Book-keeping for stable-token force refreshes, kept in the token's record and so shared fleet-wide. */
export interface ForceLog {
  /** Day key in Asia/Shanghai, `YYYY-MM-DD`; the count resets when it changes. */
  readonly day: string;
  readonly count: number;
  /** When the last force call returned. */
  readonly lastAt: number;
}

/** WeChat's limits on force refreshes. */
export interface ForceLimits {
  readonly spacingMs: number;
  readonly dailyLimit: number;
}

/** Whether a force call may go out now, must wait, or has no allowance left today. */
export type ForceGate = { readonly open: true } | { readonly waitUntil: number } | { readonly exhausted: true };

/** Decides whether a force refresh may be made at `now` given the log of earlier ones. */
export function forceGate(log: ForceLog | null, now: number, limits: ForceLimits): ForceGate {
  if (!log) return { open: true };
  if (log.day === shanghaiDay(now) && log.count >= limits.dailyLimit) return { exhausted: true };
  // The spacing counts from when the call returned: WeChat saw it at some moment before that, never after,
  // so the next force can never reach WeChat inside its window, whatever the latency of either call.
  const earliest = log.lastAt + limits.spacingMs;
  return now < earliest ? { waitUntil: earliest } : { open: true };
}

/** The log after one more force call returned at `now` (or, with `spent`, after WeChat said none are left). */
export function logForce(log: ForceLog | null, now: number, limits: ForceLimits, spent = false): ForceLog {
  const day = shanghaiDay(now);
  const count = spent ? limits.dailyLimit : (log && log.day === day ? log.count : 0) + 1;
  return { day, count, lastAt: now };
}

/** The force log held in an access token's kind state, if any (anything malformed reads as none). */
export function forceLogOf(state: KindState | null | undefined): ForceLog | null {
  const log = state?.forceLog;
  if (typeof log !== 'object' || log === null) return null;
  const { day, count, lastAt } = log as Record<string, unknown>;
  return typeof day === 'string' && typeof count === 'number' && typeof lastAt === 'number' ? { day, count, lastAt } : null;
}
