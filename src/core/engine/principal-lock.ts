import { PrincipalBusyError } from '../../errors/index.js';
import { sleep, type Clock } from '../../util/clock.js';
import type { HeldLease, LeaseKeeper } from './lease.js';

/**
 * How long a principal write waits for another writer's lease before giving up: a live holder keeps it for a few
 * store round trips, a dead one's lapses after the lease TTL (3 s by default); 10 s covers both with room.
 */
export const DEFAULT_WRITE_LEASE_WAIT_MS = 10_000;
/** How often a waiting writer tries the lease again (writes are rare, so waiting is too: polling costs little). */
export const DEFAULT_WRITE_LEASE_POLL_MS = 50;

/**
 * When a writer refused the lease tries again: after `pollMs`, or at the deadline if that comes first; null once
 * the deadline has passed (give up).
 */
export function nextLeaseTry(now: number, deadline: number, pollMs: number): number | null {
  if (now >= deadline) return null;
  return Math.min(pollMs, deadline - now);
}

/** The store lease name that serializes writes of a principal. */
export function principalLeaseName(id: string): string {
  return `principal:${id}`;
}

/**
 * Serializes the read-modify-writes of a principal across the fleet: writers on this instance queue in process
 * (they share the instance's lease owner, so the store lease alone would let them all in), then the head of the
 * queue takes the store lease `principal:<id>`, renewed while held, waiting a bounded time for another
 * instance's writer. The work gets the lease and checks `held` before writing: a lease lost meanwhile (a long
 * pause) means another writer may have read since, so the write must not go ahead.
 */
export class PrincipalLocks {
  readonly #keeper: LeaseKeeper;
  readonly #clock: Clock;
  readonly #waitMs: number;
  readonly #pollMs: number;
  readonly #tails = new Map<string, Promise<void>>();

  constructor(options: { keeper: LeaseKeeper; clock: Clock; waitMs: number; pollMs: number }) {
    this.#keeper = options.keeper;
    this.#clock = options.clock;
    this.#waitMs = options.waitMs;
    this.#pollMs = options.pollMs;
  }

  /** Runs `work` holding principal `id`'s write lease; PrincipalBusyError when it cannot be had in time. */
  async run<T>(id: string, work: (lease: HeldLease) => Promise<T>): Promise<T> {
    const deadline = this.#clock.now() + this.#waitMs;
    const previous = this.#tails.get(id) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    const tail = previous.then(() => mine);
    this.#tails.set(id, tail);
    try {
      await previous;
      const lease = await this.#take(id, deadline);
      try {
        return await work(lease);
      } finally {
        await lease.release();
      }
    } finally {
      done();
      if (this.#tails.get(id) === tail) this.#tails.delete(id);
    }
  }

  async #take(id: string, deadline: number): Promise<HeldLease> {
    const name = principalLeaseName(id);
    for (;;) {
      const lease = await this.#keeper.take(name);
      if (lease) return lease;
      const delay = nextLeaseTry(this.#clock.now(), deadline, this.#pollMs);
      if (delay === null) throw new PrincipalBusyError(`another instance held the write lease of ${id} for more than ${this.#waitMs} ms; nothing was written`, { retryAfterSeconds: 1 });
      await sleep(this.#clock, delay);
    }
  }
}
