import { createHash, randomBytes as nodeRandomBytes } from 'node:crypto';
import type { Clock } from '../../util/clock.js';
import { systemClock } from '../../util/clock.js';

/** A sign-in link works for 15 minutes: long enough to copy it from a terminal, short enough to be useless later. */
export const DEFAULT_SIGN_IN_LINK_TTL_MS = 15 * 60_000;
/** Unused links kept at once; issuing more forgets the oldest. */
export const MAX_OUTSTANDING_SIGN_IN_LINKS = 100;

/** Options of SignInLinks; every field has a documented default. */
export interface SignInLinkOptions {
  /** Default DEFAULT_SIGN_IN_LINK_TTL_MS. */
  ttlMs?: number;
  /** Default the system clock. */
  clock?: Clock;
  /** Default crypto.randomBytes. */
  randomBytes?: (size: number) => Buffer;
}

/**
 * One-time dashboard sign-in tokens, for `wxtoken demo` to print a ready sign-in link instead of the admin key.
 * A token is 256 random bits, kept only as its SHA-256 digest, works once and expires. They live in this
 * instance's memory: a link signs in only at the hub that issued it.
 */
export class SignInLinks {
  readonly #ttlMs: number;
  readonly #clock: Clock;
  readonly #randomBytes: (size: number) => Buffer;
  readonly #pending = new Map<string, number>();

  constructor(options: SignInLinkOptions = {}) {
    this.#ttlMs = options.ttlMs ?? DEFAULT_SIGN_IN_LINK_TTL_MS;
    this.#clock = options.clock ?? systemClock;
    this.#randomBytes = options.randomBytes ?? nodeRandomBytes;
  }

  /** A new one-time token; put it in `/dashboard/sign-in?token=…`. */
  issue(): string {
    const token = this.#randomBytes(32).toString('base64url');
    if (this.#pending.size >= MAX_OUTSTANDING_SIGN_IN_LINKS) this.#pending.delete(this.#pending.keys().next().value!);
    this.#pending.set(digest(token), this.#clock.now() + this.#ttlMs);
    return token;
  }

  /** Whether `token` is an unused, unexpired one; it is used up either way. */
  consume(token: string): boolean {
    const key = digest(token);
    const expiresAt = this.#pending.get(key);
    this.#pending.delete(key);
    return expiresAt !== undefined && this.#clock.now() < expiresAt;
  }
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
