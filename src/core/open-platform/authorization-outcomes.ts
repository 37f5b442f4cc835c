import { createHash } from 'node:crypto';
import type { CredentialRecord, Store } from '../../stores/store.js';
import { componentId } from './ids.js';

/**
 * What became of a component's recent authorization codes, so that the delivery which did not take a code (the
 * merchant's browser on the redirect while the `authorized` event took it, or the reverse) can still tell the landing
 * page which authorizer was authorized, or that the merchant must authorize again. Kept in the shared store
 * (record `component:<c>:authorization_outcomes`), because the two deliveries often reach different instances.
 * Codes are kept as hashes: a code is single-use, but it is still nobody's business in a store dump.
 */

/** The outcome of one code: the authorizer it authorized, or WeChat's refusal (61009/61010). */
export interface AuthorizationOutcome {
  /** codeHash of the code. */
  readonly code: string;
  readonly at: number;
  readonly authorizerAppid?: string;
  readonly errcode?: number;
}

/** How long an outcome is kept: a code lives 10 minutes (§2.4), and its two deliveries arrive within seconds. */
export const OUTCOME_KEEP_MS = 600_000;
/** At most this many outcomes are kept per component (a burst of authorizations keeps the newest). */
export const OUTCOME_KEEP_COUNT = 100;
/** How long a delivery that found its code taken waits for the taker's outcome before going on without it. */
export const DEFAULT_OUTCOME_WAIT_MS = 5_000;
/** How often it looks meanwhile. */
export const OUTCOME_POLL_MS = 100;

/** The hash a code is known by in the store (its code mark and its outcome). */
export function codeHash(code: string): string {
  return createHash('sha256').update(code).digest('hex').slice(0, 32);
}

/** `stored` with `incoming` added (replacing the same code's), without outcomes older than the keep window. */
export function mergeOutcomes(stored: readonly AuthorizationOutcome[], incoming: AuthorizationOutcome, now: number): AuthorizationOutcome[] {
  const kept = stored.filter((o) => o.code !== incoming.code && now - o.at < OUTCOME_KEEP_MS);
  return [...kept, incoming].sort((a, b) => a.at - b.at).slice(-OUTCOME_KEEP_COUNT);
}

function decode(record: CredentialRecord | null): AuthorizationOutcome[] {
  const list = record?.state?.outcomes;
  if (!Array.isArray(list)) return [];
  return list.filter(
    (o): o is AuthorizationOutcome =>
      typeof o === 'object' && o !== null && typeof o.code === 'string' && typeof o.at === 'number' && (typeof o.authorizerAppid === 'string' || typeof o.errcode === 'number'),
  );
}

/** Components' recent authorization outcomes in the shared store. */
export class AuthorizationOutcomes {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  /** Adds an outcome, compare-and-set against whatever another instance wrote meanwhile; false if it kept losing. */
  async record(componentAppid: string, outcome: AuthorizationOutcome, now: number): Promise<boolean> {
    const key = this.#key(componentAppid);
    for (let attempt = 0; attempt < 5; attempt++) {
      const record = await this.#store.getCredential(key);
      const outcomes = mergeOutcomes(decode(record), outcome, now);
      // No value: the record carries the outcomes only (nothing to seal, nothing any kind serves).
      const next = { key, version: 0, token: null, obtainedAt: now, expiresAt: 0, failure: null, state: { outcomes }, pending: null, invalidations: 0 };
      if (await this.#store.putCredential(next, record?.version ?? 0)) return true;
    }
    return false;
  }

  /** The outcome of the code with this hash, if one is recorded. */
  async find(componentAppid: string, hash: string): Promise<AuthorizationOutcome | undefined> {
    return decode(await this.#store.getCredential(this.#key(componentAppid))).find((o) => o.code === hash);
  }

  #key(componentAppid: string): string {
    return `${componentId(componentAppid)}:authorization_outcomes`;
  }
}
