/** One issued access token or ticket; times are absolute milliseconds on the simulator's clock. */
export interface Credential {
  readonly value: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
}

/** How a presented credential stands: usable, naturally expired (42001) or superseded (40001). */
export type CredentialStatus = 'valid' | 'expired' | 'superseded';

/** What the control API shows of a slot. */
export interface SlotView {
  readonly current: (Credential & { readonly validUntil: number }) | null;
  readonly previous: (Credential & { readonly validUntil: number }) | null;
}

/**
 * A credential with its immediate predecessor: WeChat keeps only {current, previous} (decision 1). The previous one
 * stays valid until min(its own expiry, the deadline set when it was superseded); anything older is dead at once.
 */
export class CredentialSlot {
  #current: Credential | undefined;
  #previous: Credential | undefined;
  #previousDeadline = 0;

  /** The current credential, expired or not (undefined before the first issue). */
  get current(): Credential | undefined {
    return this.#current;
  }

  /** The current credential if it has not expired at `now`. */
  live(now: number): Credential | undefined {
    const current = this.#current;
    return current && now < current.expiresAt ? current : undefined;
  }

  /** Makes `next` current; the old current stays valid until `previousDeadline` (or its own expiry if sooner). */
  rotate(next: Credential, previousDeadline: number): void {
    this.#previous = this.#current;
    this.#previousDeadline = previousDeadline;
    this.#current = next;
  }

  /** Forgets current and previous: both become unknown (40001) at once, and the next fetch issues a new one. */
  clear(): void {
    this.#current = undefined;
    this.#previous = undefined;
    this.#previousDeadline = 0;
  }

  /** Status of `value` if it is this slot's current or previous credential; undefined if it is neither. */
  status(value: string, now: number): CredentialStatus | undefined {
    if (this.#current?.value === value) return now < this.#current.expiresAt ? 'valid' : 'expired';
    const previous = this.#previous;
    if (previous?.value !== value) return undefined;
    if (now < Math.min(previous.expiresAt, this.#previousDeadline)) return 'valid';
    // Whichever end came first decides: its own expiry reads 42001, being cut short by a newer token reads 40001.
    return previous.expiresAt <= this.#previousDeadline ? 'expired' : 'superseded';
  }

  /** Current and previous with the instant each stops being valid. */
  view(): SlotView {
    const current = this.#current;
    const previous = this.#previous;
    return {
      current: current ? { ...current, validUntil: current.expiresAt } : null,
      previous: previous ? { ...previous, validUntil: Math.min(previous.expiresAt, this.#previousDeadline) } : null,
    };
  }
}
