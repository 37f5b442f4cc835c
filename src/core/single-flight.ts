/**
 * One pending promise per key: concurrent callers of `run` with the same key share the first caller's work.
 * The entry is cleared when the work settles, so a rejection is never cached and the next call starts afresh.
 */
export class SingleFlight<K, V> {
  readonly #inFlight = new Map<K, Promise<V>>();

  /** Runs `work` for `key` unless a run for `key` is already pending, in which case it joins that one. */
  run(key: K, work: () => Promise<V>): { promise: Promise<V>; joined: boolean } {
    const pending = this.#inFlight.get(key);
    if (pending) return { promise: pending, joined: true };
    const promise = (async () => {
      try {
        return await work();
      } finally {
        this.#inFlight.delete(key);
      }
    })();
    this.#inFlight.set(key, promise);
    return { promise, joined: false };
  }

  /** Resolves once every run pending now has settled (for shutdown). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#inFlight.values()]);
  }

  /** Whether a run for `key` is pending. */
  has(key: K): boolean {
    return this.#inFlight.has(key);
  }
}
