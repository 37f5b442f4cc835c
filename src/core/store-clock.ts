import type { Clock, CancelTimer } from '../util/clock.js';

/** How often a StoreClock re-measures its offset; clocks drift slowly, a minute is plenty. */
export const DEFAULT_CLOCK_SYNC_INTERVAL_MS = 60_000;

/**
 * A clock aligned on a store's clock (Redis TIME, PostgreSQL now()), so that instances whose own clocks are skewed
 * still agree on when a token expires. The offset is measured NTP-style: the midpoint of the round trip.
 */
export class StoreClock implements Clock {
  #offsetMs = 0;
  #cancel: CancelTimer | undefined;
  #stopped = false;
  readonly #base: Clock;
  readonly #storeTime: () => Promise<number>;

  constructor(base: Clock, storeTime: () => Promise<number>) {
    this.#base = base;
    this.#storeTime = storeTime;
  }

  /** The measured store-minus-local offset in ms. */
  get offsetMs(): number {
    return this.#offsetMs;
  }

  now(): number {
    return this.#base.now() + this.#offsetMs;
  }

  setTimer(fn: () => void, ms: number): CancelTimer {
    return this.#base.setTimer(fn, ms);
  }

  /** Measures the offset once; keeps the previous offset when the store cannot be reached. */
  async sync(): Promise<void> {
    try {
      const before = this.#base.now();
      const storeNow = await this.#storeTime();
      const after = this.#base.now();
      // Whole milliseconds: stores keep times as integers (PostgreSQL bigint rejects 1795468554648.5).
      this.#offsetMs = Math.round(storeNow - (before + after) / 2);
    } catch {
      // An unreachable store is reported by readiness checks; the last offset stays the best estimate.
    }
  }

  /** Measures now and then every `intervalMs` until stop(). */
  async start(intervalMs = DEFAULT_CLOCK_SYNC_INTERVAL_MS): Promise<void> {
    this.#stopped = false;
    await this.sync();
    const loop = (): void => {
      if (this.#stopped) return;
      this.#cancel = this.#base.setTimer(() => {
        void this.sync().then(loop);
      }, intervalMs);
    };
    loop();
  }

  /** Stops periodic measurement. */
  stop(): void {
    this.#stopped = true;
    this.#cancel?.();
    this.#cancel = undefined;
  }
}
