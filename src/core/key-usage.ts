/**
 * Last-used times of client keys, kept in memory and written to the store in batches, so that authenticating a
 * request never costs a store write (the request itself only flags its key: core/client-keys.ts).
 *
 * Resolution: a use is timed when the hub's periodic tick (every 5 s) collects it; an instance writes a key's last
 * use at most once per `flushIntervalMs` (default 60 s), and everything pending when the hub stops. The stored
 * time is therefore at most about 65 s behind the real last use on a running instance; `key list` through an
 * instance's admin API adds that instance's unwritten uses.
 */

/** How often at most one instance writes one key's last-used time: a minute's resolution is what operators need. */
export const DEFAULT_KEY_USE_FLUSH_MS = 60_000;

/** A use to write: the key's name and the time it was last presented (epoch ms). */
export interface KeyUse {
  readonly name: string;
  readonly at: number;
}

/** Whether a key's last use is due for writing: newer than what was written, and the interval has passed. */
export function useDue(lastUse: number, written: { readonly value: number; readonly at: number } | undefined, now: number, intervalMs: number): boolean {
  if (written === undefined) return true;
  return lastUse > written.value && now - written.at >= intervalMs;
}

/** The in-memory side: note uses (hot path), list the ones due, record what was written. */
export class KeyUsage {
  readonly #intervalMs: number;
  readonly #lastUse = new Map<string, number>();
  readonly #written = new Map<string, { value: number; at: number }>();

  constructor(intervalMs: number = DEFAULT_KEY_USE_FLUSH_MS) {
    this.#intervalMs = intervalMs;
  }

  /** Notes that `name` was presented at `at`: one map write, no I/O. */
  note(name: string, at: number): void {
    this.#lastUse.set(name, at);
  }

  /** The last use noted in this process, if any. */
  lastUse(name: string): number | undefined {
    return this.#lastUse.get(name);
  }

  /** Uses due for writing at `now`; `all` ignores the interval (at shutdown). */
  due(now: number, all = false): KeyUse[] {
    const due: KeyUse[] = [];
    for (const [name, at] of this.#lastUse) {
      const written = this.#written.get(name);
      if (all ? written === undefined || at > written.value : useDue(at, written, now, this.#intervalMs)) due.push({ name, at });
    }
    return due;
  }

  /** Records that `use` was written at `now`. */
  written(use: KeyUse, now: number): void {
    this.#written.set(use.name, { value: use.at, at: now });
  }

  /** Forgets a revoked key. */
  forget(name: string): void {
    this.#lastUse.delete(name);
    this.#written.delete(name);
  }
}
