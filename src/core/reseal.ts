import { randomUUID } from 'node:crypto';
import { PrincipalBusyError } from '../errors/index.js';
import { nextUpdatedAt, type Store } from '../stores/store.js';
import { credentialContext } from '../stores/sealing-store.js';
import { systemClock, type Clock } from '../util/clock.js';
import { silentLogger } from '../util/logger.js';
import { DEFAULT_LEASE_TTL_MS, LeaseKeeper } from './engine/lease.js';
import { DEFAULT_WRITE_LEASE_POLL_MS, DEFAULT_WRITE_LEASE_WAIT_MS, PrincipalLocks } from './engine/principal-lock.js';
import { secretContext } from './principals.js';
import type { Sealer } from './sealer.js';

/**
 * Re-sealing everything a store holds under the current master key (`wxtoken master-key rotate`): principals'
 * secrets and credential values. Works on the undecorated store, since it must see values as stored.
 *
 * Safe while instances run: a credential is rewritten with the store's compare-and-set on its version, so a
 * refresh that lands meanwhile wins and the value is looked at again; the rewrite publishes a change event, and
 * instances re-read a value that has not changed. Principals have no version: each is re-read and rewritten under
 * its write lease (the one instances take to write an Open Platform authorizer, so a refresh token written meanwhile
 * is never overwritten by the old one re-sealed), and skipped when the secret changed (it was written by an
 * instance, under its current key).
 */

/** Progress of a re-seal, reported after each record. */
export interface ResealProgress {
  readonly phase: 'secrets' | 'credentials';
  readonly done: number;
  readonly total: number;
}

/** What a re-seal did. */
export interface ResealReport {
  /** Values rewritten under the current key. */
  readonly resealed: { readonly secrets: number; readonly credentials: number };
  /** Values already under the current key (or without a value). */
  readonly current: { readonly secrets: number; readonly credentials: number };
  /** Values still not under the current key when the pass ended (changed concurrently too often); re-run. */
  readonly remaining: number;
}

/** Options of reseal. */
export interface ResealOptions {
  /** Count only, write nothing (`--dry-run`). Default false. */
  readonly dryRun?: boolean;
  /** Called after each record. */
  readonly onProgress?: (progress: ResealProgress) => void;
  /** Times the principals' write leases. Default the system clock. */
  readonly clock?: Clock;
}

/** Attempts per credential when concurrent refreshes keep winning the compare-and-set. */
const CAS_ATTEMPTS = 5;

/** Re-seals every principal's secrets and every credential value in `store` under `sealer`'s current key. */
export async function reseal(store: Store, sealer: Sealer, options: ResealOptions = {}): Promise<ResealReport> {
  const dryRun = options.dryRun ?? false;
  const resealed = { secrets: 0, credentials: 0 };
  const current = { secrets: 0, credentials: 0 };
  let remaining = 0;
  const clock = options.clock ?? systemClock;
  const keeper = new LeaseKeeper({ store, clock, logger: silentLogger, owner: `reseal:${randomUUID()}`, ttlMs: DEFAULT_LEASE_TTL_MS });
  const locks = new PrincipalLocks({ keeper, clock, waitMs: DEFAULT_WRITE_LEASE_WAIT_MS, pollMs: DEFAULT_WRITE_LEASE_POLL_MS });

  const principals = await store.listPrincipals();
  for (const [i, principal] of principals.entries()) {
    for (const [name, sealed] of Object.entries(principal.secrets)) {
      if (sealer.isCurrent(sealed)) current.secrets++;
      else if (dryRun) remaining++;
      else {
        const context = secretContext(principal.id, name);
        const plain = sealer.open(sealed, context);
        const outcome = await locks
          .run(principal.id, async (lease) => {
            const latest = await store.getPrincipal(principal.id);
            const latestSealed = latest?.secrets[name];
            if (latest !== null && latestSealed === sealed && lease.held) {
              const resealedRecord = { ...latest, secrets: { ...latest.secrets, [name]: sealer.seal(plain, context) }, updatedAt: nextUpdatedAt(latest, clock.now()) };
              // Refused only when a writer whose lease lapsed got in since the read: left to a re-run.
              return (await store.putPrincipal(resealedRecord, latest)) ? 'resealed' : 'remaining';
            }
            return latestSealed !== undefined && !sealer.isCurrent(latestSealed) ? 'remaining' : 'gone';
          })
          .catch((err: unknown) => {
            // An instance held the principal for 10 s: leave this one to a re-run.
            if (err instanceof PrincipalBusyError) return 'remaining' as const;
            throw err;
          });
        if (outcome === 'resealed') resealed.secrets++;
        else if (outcome === 'remaining') remaining++;
      }
    }
    options.onProgress?.({ phase: 'secrets', done: i + 1, total: principals.length });
  }

  const keys = await store.listCredentialKeys();
  for (const [i, key] of keys.entries()) {
    let outcome: 'current' | 'resealed' | 'remaining' = 'remaining';
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const record = await store.getCredential(key);
      if (record === null || record.token === null || sealer.isCurrent(record.token)) {
        outcome = 'current';
        break;
      }
      if (dryRun) break;
      // A plaintext value (written by 0.1.0) is sealed for the first time.
      const plain = sealer.isSealed(record.token) ? sealer.open(record.token, credentialContext(key)) : record.token;
      if (await store.putCredential({ ...record, token: sealer.seal(plain, credentialContext(key)) }, record.version)) {
        outcome = 'resealed';
        break;
      }
    }
    if (outcome === 'current') current.credentials++;
    else if (outcome === 'resealed') resealed.credentials++;
    else remaining++;
    options.onProgress?.({ phase: 'credentials', done: i + 1, total: keys.length });
  }
  return { resealed, current, remaining };
}
