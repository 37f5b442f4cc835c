/** Checks of Store method arguments that every implementation makes alike. */

/** Rejects a lease TTL that is not a positive finite number of milliseconds. */
export function assertTtl(ttlMs: number): void {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError(`lease ttlMs must be a positive number, got ${ttlMs}`);
}

/** Rejects a putCredential `expectedVersion` that is not a non-negative integer. */
export function assertExpectedVersion(expectedVersion: number): void {
  if (!Number.isSafeInteger(expectedVersion) || expectedVersion < 0) {
    throw new RangeError(`expectedVersion must be a non-negative integer, got ${expectedVersion}`);
  }
}
