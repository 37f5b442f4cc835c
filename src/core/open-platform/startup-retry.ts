/**
 * A component whose start-up reconciliation failed (WeChat or the store briefly away, no verify ticket yet) is not
 * left until the daily run: it is tried again after a backoff, doubling from a minute to an hour, until it succeeds
 * once (../shared/wechat-open-platform.md §7.2 item 2: reconcile on boot and daily).
 */

/** The first retry of a failed start-up reconciliation comes this much later. */
export const DEFAULT_STARTUP_RETRY_BASE_MS = 60_000;
/** Retries double up to this interval and stay there: hourly is ample next to a daily run, and costs ~1 list call. */
export const DEFAULT_STARTUP_RETRY_MAX_MS = 3_600_000;

/** The wait before the next try after the `failures`-th failure in a row (1 = the start-up run itself): base × 2^(failures−1), capped. */
export function startupRetryDelay(failures: number, baseMs: number, maxMs: number): number {
  // The exponent is capped too: days of failures must not compute 2^1000 (Infinity) on the way to the cap.
  const exponent = Math.min(Math.max(0, failures - 1), 40);
  return Math.min(maxMs, baseMs * 2 ** exponent);
}
