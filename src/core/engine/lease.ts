import type { Store } from '../../stores/store.js';
import type { CancelTimer, Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';

/**
 * A refresh lease short enough that a holder which dies mid-fetch (kill -9) is replaced within seconds, kept
 * alive while its holder works: the holder renews it every third of its TTL. A holder that loses it anyway (a
 * long pause) cannot overwrite a newer value: the record's compare-and-set is the fence.
 */
export const DEFAULT_LEASE_TTL_MS = 3_000;

/** A lease this instance holds; release it in `finally`. */
export interface HeldLease {
  /** False once a renewal found the lease taken by another owner (or could not reach the store). */
  readonly held: boolean;
  release(): Promise<void>;
}

/** Takes named leases in the store for one owner, renewing each while it is held. */
export class LeaseKeeper {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #owner: string;
  readonly #ttlMs: number;

  constructor(options: { store: Store; clock: Clock; logger: Logger; owner: string; ttlMs: number }) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#log = options.logger;
    this.#owner = options.owner;
    this.#ttlMs = options.ttlMs;
  }

  /** This keeper's owner id (the instance id), as recorded in a pending refresh. */
  get owner(): string {
    return this.#owner;
  }

  /** Takes the lease if it is free or lapsed; null when another owner holds it. */
  async take(name: string): Promise<HeldLease | null> {
    if (!(await this.#store.acquireLease(name, this.#owner, this.#ttlMs))) return null;
    let held = true;
    let released = false;
    let cancel: CancelTimer | undefined;
    const renew = (): void => {
      cancel = this.#clock.setTimer(() => {
        this.#store.acquireLease(name, this.#owner, this.#ttlMs).then(
          (ok) => {
            if (released) return;
            if (!ok) {
              held = false;
              this.#log.warn({ lease: name }, 'lease lost to another instance before its holder finished');
              return;
            }
            renew();
          },
          () => {
            // The store is unreachable: keep trying while the lease may still be ours.
            if (!released) renew();
          },
        );
      }, Math.max(1, Math.floor(this.#ttlMs / 3)));
    };
    renew();
    return {
      get held() {
        return held;
      },
      release: async () => {
        released = true;
        cancel?.();
        await this.#store.releaseLease(name, this.#owner).catch(() => {});
      },
    };
  }
}
