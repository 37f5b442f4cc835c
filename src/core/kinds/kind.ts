import type { Logger } from '../../util/logger.js';
import type { CredentialRecord, KindState, PrincipalRecord, PrincipalType } from '../../stores/store.js';
import type { Intent } from '../engine/intent.js';

/**
 * A credential kind: what the engine (core/engine/credential-engine.ts) needs to know about one sort of WeChat
 * credential. The engine owns scheduling, single-flight, leases, compare-and-set, invalidation and backoff; a
 * kind says how its key is formed, which credential it is fetched with, how a value is obtained upstream, and
 * what that value's life is. Adding a kind adds a module here, never a branch in the engine.
 */
export interface CredentialKind {
  /** The key suffix in the store and the `kind` label of metrics, e.g. `access_token`, `jsapi_ticket`. */
  readonly name: string;
  /** The sort of principal the kind's credentials belong to. */
  readonly principalType: PrincipalType;
  /** The kind whose value, for the same principal, `obtain` is called with (a ticket's access token). */
  readonly parent?: CredentialKind;
  /**
   * The principal whose `parent` credential `obtain` is called with, when it is not the principal itself (an
   * authorizer's token is fetched with its component's token). Default: the same principal.
   */
  parentPrincipal?(principal: PrincipalRecord): string;
  /**
   * Fetched for every principal as soon as it is known (access tokens), or only once a caller asks for it
   * (tickets: most apps never use the JS-SDK, and each getticket call costs quota).
   */
  readonly eager: boolean;
  /**
   * Refreshed before expiry only while callers use it: once no caller was served for this many of its value's
   * lifetimes, the value is left to expire and fetched again when a caller next asks (single-flight, as any fetch).
   * Open Platform authorizers: thousands of merchants, most idle at any time, refreshed only if used in the last
   * 24 h (12 lifetimes of a 2 h token; ../shared/wechat-open-platform.md §7.3 item 3). Default: refreshed
   * proactively for as long as it is tracked.
   */
  readonly idleAfterLifetimes?: number;
  /** Obtains a value upstream. Rejects with WeChatError / UpstreamTransportError, or a StateChange. */
  obtain(request: ObtainRequest): Promise<Obtained>;
  /**
   * Whether a refresh could replace the record's value now; false for a stable token whose force refreshes are
   * spent for the day (another report must then cost no call). Default: always.
   */
  canReplace?(principal: PrincipalRecord, record: CredentialRecord, now: number): boolean;
  /**
   * The earliest time upstream can hand out a value other than the record's: kinds whose endpoint returns the
   * same value until it expires (tickets) answer its expiry, so the engine neither calls before then nor serves
   * past it. Undefined: any call may bring a new value.
   */
  stickyUntil?(record: CredentialRecord): number | undefined;
}

/** What the engine hands a kind's obtain step. */
export interface ObtainRequest {
  readonly principal: PrincipalRecord;
  /** Opens the principal's secret of that name (default `secret`); call it only when it is sent (never cached). */
  secret(name?: string): string;
  /** The parent credential's current value, for kinds with a parent. */
  readonly parentToken: string | undefined;
  /** The record as read under the lease: the value being replaced and the kind's state. */
  readonly record: CredentialRecord | null;
  readonly intent: Intent;
  /** When the engine began this attempt (before any upstream call). */
  readonly startedAt: number;
  now(): number;
  readonly log: Logger;
}

/** A kind's obtain result: a value to store, or a time before which no call may be made (the stable force spacing). */
export type Obtained = ObtainedValue | { readonly waitUntil: number };

/** A value obtained upstream, with its absolute life and the kind's new state. */
export interface ObtainedValue {
  readonly token: string;
  readonly expiresAt: number;
  /** When the value came into being as far as the hub can tell (its lifetime is expiresAt − obtainedAt). */
  readonly obtainedAt: number;
  readonly state: KindState | null;
}

/**
 * Thrown by `obtain` when an attempt failed after changing the kind's state (a stable force call refused with
 * 45009 still spends the day's forces): the engine stores `state`, then handles `error` as the failure.
 */
export class StateChange extends Error {
  constructor(
    readonly state: KindState | null,
    readonly error: unknown,
  ) {
    super(error instanceof Error ? error.message : String(error));
    this.name = 'StateChange';
  }
}

/** The store key of a principal's credential of a kind: `<principal id>:<kind>`. */
export function credentialKey(principal: string, kind: CredentialKind): string {
  return `${principal}:${kind.name}`;
}
