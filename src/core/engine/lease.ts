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
  /**
   * False once a renewal found the lease taken by another owner, or when no renewal reached the store for a TTL
   * (the lease may have lapsed and been taken).
   */
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
    const asked = this.#clock.now();
    if (!(await this.#store.acquireLease(name, this.#owner, this.#ttlMs))) return null;
    let held = true;
    // When the store last confirmed the lease, counted from the request (the TTL runs from the store's grant).
    let confirmedAt = asked;
    let released = false;
    let cancel: CancelTimer | undefined;
    const renew = (): void => {
      cancel = this.#clock.setTimer(() => {
        const renewing = this.#clock.now();
        this.#store.acquireLease(name, this.#owner, this.#ttlMs).then(
          (ok) => {
            if (released) return;
            if (!ok) {
              held = false;
              this.#log.warn({ lease: name }, 'lease lost to another instance before its holder finished');
              return;
            }
            confirmedAt = renewing;
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
    const clock = this.#clock;
    const ttlMs = this.#ttlMs;
    return {
      get held() {
        return held && clock.now() - confirmedAt < ttlMs;
      },
      release: async () => {
        released = true;
        cancel?.();
        await this.#store.releaseLease(name, this.#owner).catch(() => {});
      },
    };
  }
}
