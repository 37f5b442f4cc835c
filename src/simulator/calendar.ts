/**
 * Quota windows on the simulator's clock. WeChat's daily quotas reset at 00:00 Asia/Shanghai (decision 4); China has
 * no DST, so a fixed UTC+8 offset is exact.
 */

const SHANGHAI_OFFSET_MS = 8 * 3600_000;
const DAY_MS = 86_400_000;

/** Index of the Asia/Shanghai calendar day containing `nowMs`. */
export function shanghaiDay(nowMs: number): number {
  return Math.floor((nowMs + SHANGHAI_OFFSET_MS) / DAY_MS);
}

/** Index of the Asia/Shanghai calendar month containing `nowMs` (year * 12 + month). */
export function shanghaiMonth(nowMs: number): number {
  const d = new Date(nowMs + SHANGHAI_OFFSET_MS);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
}

/** Index of the calendar minute containing `nowMs` ("retry next minute", §2.5). */
export function minuteIndex(nowMs: number): number {
  return Math.floor(nowMs / 60_000);
}

/** A counter that starts again from zero whenever its window index changes. */
export class WindowCounter {
  #window = Number.NaN;
  #count = 0;

  constructor(private readonly windowOf: (nowMs: number) => number) {}

  /** Calls counted in the window containing `nowMs`. */
  used(nowMs: number): number {
    return this.windowOf(nowMs) === this.#window ? this.#count : 0;
  }

  /** Counts one call if fewer than `limit` were counted in this window; false when the limit is reached. */
  tryTake(nowMs: number, limit: number): boolean {
    const used = this.used(nowMs);
    if (used >= limit) return false;
    this.#window = this.windowOf(nowMs);
    this.#count = used + 1;
    return true;
  }

  /** Forgets the calls counted so far (clear_quota). */
  reset(): void {
    this.#count = 0;
  }
}
