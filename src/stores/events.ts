import type { StoreEvent, StoreListener } from './store.js';

/**
 * The subscribers of one Store instance. Each subscription is its own entry, so subscribing the same function twice
 * and unsubscribing once leaves the other subscription in place.
 */
export class ListenerSet {
  readonly #entries = new Set<{ readonly listener: StoreListener }>();

  /** Number of live subscriptions. */
  get size(): number {
    return this.#entries.size;
  }

  /** Adds a subscription; the returned function removes it (a second call is harmless). */
  add(listener: StoreListener): () => void {
    const entry = { listener };
    this.#entries.add(entry);
    return () => {
      this.#entries.delete(entry);
    };
  }

  /** Delivers `event` to every subscription; a throwing listener is contained so the others still get it. */
  emit(event: StoreEvent): void {
    for (const entry of [...this.#entries]) {
      try {
        entry.listener(event);
      } catch {
        // Listeners must not throw (see StoreListener); one that does must not stop delivery to the rest.
      }
    }
  }

  /** Drops every subscription (on close). */
  clear(): void {
    this.#entries.clear();
  }
}
