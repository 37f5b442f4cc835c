import { randomUUID } from 'node:crypto';
import { isObject } from './records.js';
import type { RecordEvent, StoreEvent, StoreListener } from './store.js';

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

/**
 * The subscribers of one instance of a store shared by several (Redis, PostgreSQL). Other instances learn of a
 * write from a published message {"origin": <instance id>, "event": StoreEvent}; the writer delivers its own
 * writes directly when they succeed, so the echo of its own message is skipped by origin.
 */
export class EventRelay extends ListenerSet {
  readonly #origin = randomUUID();

  /** The message that announces `event` to the other instances. */
  message(event: RecordEvent): string {
    return JSON.stringify({ origin: this.#origin, event });
  }

  /** Delivers another instance's message; ignores own echoes and anything unrecognised (e.g. from a newer wxtoken). */
  receive(text: string | undefined): void {
    const message = decodeMessage(text);
    if (message === null || message.origin === this.#origin) return;
    this.emit(message.event);
  }
}

function decodeMessage(text: string | undefined): { origin: string; event: RecordEvent } | null {
  let value: unknown;
  try {
    value = JSON.parse(text ?? '');
  } catch {
    return null;
  }
  if (!isObject(value) || typeof value.origin !== 'string' || !isObject(value.event)) return null;
  const e = value.event;
  if (e.type === 'principal' && typeof e.id === 'string') return { origin: value.origin, event: { type: 'principal', id: e.id } };
  if (e.type === 'client-key' && typeof e.name === 'string') {
    return { origin: value.origin, event: { type: 'client-key', name: e.name } };
  }
  if (e.type === 'credential' && typeof e.key === 'string' && typeof e.version === 'number') {
    return { origin: value.origin, event: { type: 'credential', key: e.key, version: e.version } };
  }
  return null;
}
