import type { Clock } from '../util/clock.js';

/** Options of a FailureThrottle. */
export interface FailureThrottleOptions {
  /** Failures from one address within `windowMs` that block it. */
  readonly limit: number;
  /** The counting window, and how long a block lasts. */
  readonly windowMs: number;
  /** Most addresses tracked at once; the least recently failing is forgotten first. */
  readonly maxTracked: number;
  readonly clock: Clock;
}

interface Entry {
  windowStart: number;
  failures: number;
  blockedUntil: number;
}

/**
 * Counts failures per address in fixed windows: the `limit`-th failure within `windowMs` of an address's first one
 * blocks it for `windowMs`. A blocked address is refused before its credentials are checked, so it gets at most
 * `limit` guesses a window. Memory is bounded by `maxTracked` entries; expired ones are dropped when next seen.
 */
export class FailureThrottle {
  readonly #o: FailureThrottleOptions;
  readonly #entries = new Map<string, Entry>();

  constructor(options: FailureThrottleOptions) {
    this.#o = options;
  }

  /** How many addresses are tracked (for tests and the memory bound). */
  get size(): number {
    return this.#entries.size;
  }

  /** Milliseconds until `address` may try again; 0 when it may now. */
  retryAfterMs(address: string): number {
    // The hot path: nothing has failed lately, so nothing to look up.
    if (this.#entries.size === 0) return 0;
    const entry = this.#entries.get(address);
    if (entry === undefined) return 0;
    const now = this.#o.clock.now();
    if (entry.blockedUntil > now) return entry.blockedUntil - now;
    if (now - entry.windowStart >= this.#o.windowMs) this.#entries.delete(address);
    return 0;
  }

  /** Records a failure; true when it is the one that blocks the address (report it once per burst). */
  fail(address: string): boolean {
    const now = this.#o.clock.now();
    let entry = this.#entries.get(address);
    if (entry !== undefined) this.#entries.delete(address); // re-inserted below: the Map's order is recency
    if (entry === undefined || (entry.blockedUntil <= now && now - entry.windowStart >= this.#o.windowMs)) {
      entry = { windowStart: now, failures: 0, blockedUntil: 0 };
    }
    if (this.#entries.size >= this.#o.maxTracked) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(address, entry);
    entry.failures++;
    if (entry.failures === this.#o.limit) {
      entry.blockedUntil = now + this.#o.windowMs;
      return true;
    }
    return false;
  }
}

/**
 * The throttling key of a peer address: IPv4 as is (IPv4-mapped IPv6 included), IPv6 by its /64 prefix, since
 * one host or customer usually holds a whole /64 and could otherwise rotate through it.
 */
export function addressKey(ip: string): string {
  if (ip.startsWith('::ffff:') && ip.includes('.')) return ip.slice(7);
  if (!ip.includes(':')) return ip;
  const [head = '', tail = ''] = ip.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = ip.includes('::') ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
