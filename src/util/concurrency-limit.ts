/**
 * Runs at most `limit` tasks at once; the others wait in arrival order. Used to bound upstream calls in flight
 * (5,000 authorizer tokens due at once must not become 5,000 simultaneous calls). State lives in the instance.
 */
export class ConcurrencyLimit {
  readonly #limit: number;
  readonly #queue: Array<() => void> = [];
  #active = 0;
  #maxActive = 0;

  constructor(limit: number) {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`concurrency limit must be a positive integer, got ${String(limit)}`);
    this.#limit = limit;
  }

  /** Runs `task` when a slot is free; the slot is released however it settles. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#active >= this.#limit) await new Promise<void>((resolve) => this.#queue.push(resolve));
    else this.#active++;
    this.#maxActive = Math.max(this.#maxActive, this.#active);
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next waiter, so a newcomer cannot overtake the queue.
      const next = this.#queue.shift();
      if (next) next();
      else this.#active--;
    }
  }

  /** Tasks running now and waiting now. */
  get active(): number {
    return this.#active;
  }
  get waiting(): number {
    return this.#queue.length;
  }
  /** The most tasks that ever ran at once. */
  get maxActive(): number {
    return this.#maxActive;
  }
}
