import { PrincipalBusyError } from '../../errors/index.js';
import type { PrincipalAttributes, PrincipalRecord, Store } from '../../stores/store.js';
import type { Clock } from '../../util/clock.js';
import type { HeldLease } from '../engine/lease.js';
import type { PrincipalLocks } from '../engine/principal-lock.js';
import { authorizerId, authorizerOf, REFRESH_HISTORY_SECRET, REFRESH_TOKEN_SECRET, statusOf } from './ids.js';
import { AUTHORIZER_STATUSES, nextRefreshToken, parseRefreshHistory, type AuthorizerStatus, type RefreshTokenSource } from './refresh-token.js';

/** An authorizer as listed. No refresh token, only whether one is held. */
export interface AuthorizerInfo {
  readonly componentAppid: string;
  readonly authorizerAppid: string;
  readonly status: AuthorizerStatus;
  readonly reason: string;
  readonly statusAt: number;
  readonly refreshTokenHeld: boolean;
  readonly funcScopes: readonly number[];
}

/** A change to an authorizer: a refresh token that arrived, a status and why, the permission sets. */
export interface AuthorizerChange {
  readonly refreshToken?: { readonly value: string; readonly source: RefreshTokenSource };
  readonly status?: AuthorizerStatus;
  readonly reason?: string;
  readonly funcScopes?: readonly number[];
}

/** An authorizer as stored, its secrets opened: what a change is decided against, under the write lease. */
export interface StoredAuthorizer {
  readonly record: PrincipalRecord;
  /** Plaintext secrets by name (the refresh token and its history). */
  readonly secrets: Readonly<Record<string, string>>;
  readonly refreshToken: string | undefined;
  readonly status: string;
  readonly updatedAt: number;
}

/** The hub operations the records need: opening a held record's secrets, writing over it, removing it. */
export interface RecordsHub {
  openPrincipalSecret(principal: PrincipalRecord, name: string): string | undefined;
  writePrincipal(
    input: { id: string; type: PrincipalRecord['type']; attributes: PrincipalAttributes; secrets: Readonly<Record<string, string>> },
    existing: PrincipalRecord | null,
    replaces?: PrincipalRecord | null,
  ): Promise<boolean>;
  removePrincipal(id: string, ifUnchanged?: PrincipalRecord): Promise<boolean>;
}

/**
 * The authorizer after `change`, from what is stored (null: nothing yet): the refresh token only if non-empty and
 * new, with the history extended; the status (and since when) only if it differs; the reason and permission sets as
 * given. Null when the write would change nothing.
 */
export function nextAuthorizer(
  ids: { componentAppid: string; authorizerAppid: string },
  stored: { attributes: PrincipalAttributes; secrets: Readonly<Record<string, string>> } | null,
  change: AuthorizerChange,
  now: number,
): { attributes: Record<string, string | number | boolean>; secrets: Record<string, string> } | null {
  const secrets: Record<string, string> = { ...(stored?.secrets ?? {}) };
  const current = { value: secrets[REFRESH_TOKEN_SECRET] ?? '', history: parseRefreshHistory(secrets[REFRESH_HISTORY_SECRET]) };
  const token = change.refreshToken ? nextRefreshToken(current, change.refreshToken.value, change.refreshToken.source, now) : null;
  if (token) {
    secrets[REFRESH_TOKEN_SECRET] = token.value;
    secrets[REFRESH_HISTORY_SECRET] = JSON.stringify(token.history);
  }
  const attributes: Record<string, string | number | boolean> = { ...(stored?.attributes ?? {}), component: ids.componentAppid, appid: ids.authorizerAppid };
  if (change.status !== undefined && change.status !== stored?.attributes.status) {
    attributes.status = change.status;
    attributes.statusAt = now;
  }
  attributes.status ??= 'active';
  attributes.statusAt ??= now;
  if (change.reason !== undefined) attributes.reason = change.reason;
  if (change.funcScopes !== undefined) attributes.funcScopes = change.funcScopes.join(',');
  if (stored !== null && token === null && JSON.stringify(attributes) === JSON.stringify(stored.attributes)) return null;
  return { attributes, secrets };
}

/**
 * The authorizer principal (`component:<c>/<appid>`) as the Open Platform keeps it: the refresh token and its
 * history as sealed secrets, the status and why as attributes, all in one store write (refresh-token.ts decides
 * what a new value does). Every read-modify-write of one authorizer holds its fleet-wide write lease
 * (engine/principal-lock.ts), so an exchange on one instance and a list repair on another cannot interleave and
 * lose a history entry or a status: the second reads what the first wrote. Under the lease the principal is read
 * once, its secrets opened from that record, and written without another read.
 */
export class AuthorizerRecords {
  readonly #hub: RecordsHub;
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #locks: PrincipalLocks;

  constructor(hub: RecordsHub, store: Store, clock: Clock, locks: PrincipalLocks) {
    this.#hub = hub;
    this.#store = store;
    this.#clock = clock;
    this.#locks = locks;
  }

  /**
   * Writes an authorizer in one store write: its refresh token (only if non-empty and new, with the history
   * extended), its status and reason. A refresh token and the status it makes `active` are never written apart.
   * Returns whether anything was written.
   */
  write(componentAppid: string, authorizerAppid: string, change: AuthorizerChange): Promise<boolean> {
    return this.update(componentAppid, authorizerAppid, () => change);
  }

  /**
   * Reads, decides and writes an authorizer under its write lease: `decide` sees the stored authorizer (null: none
   * yet) and returns the change to make (null: none). Returns whether anything was written.
   */
  update(componentAppid: string, authorizerAppid: string, decide: (stored: StoredAuthorizer | null) => AuthorizerChange | null): Promise<boolean> {
    const id = authorizerId(componentAppid, authorizerAppid);
    return this.#locks.run(id, async (lease) => {
      const stored = this.#open(await this.#store.getPrincipal(id));
      const change = decide(stored);
      if (change === null) return false;
      const next = nextAuthorizer({ componentAppid, authorizerAppid }, stored && { attributes: stored.record.attributes, secrets: stored.secrets }, change, this.#clock.now());
      if (next === null) return false;
      assertHeld(lease, id);
      if (!(await this.#hub.writePrincipal({ id, type: 'authorizer', ...next }, stored?.record ?? null))) throw overtaken(id);
      return true;
    });
  }

  /**
   * Revokes an authorizer under its write lease: the principal is removed (which drops its credentials from the
   * store and every instance) and written back as `unauthorized` with its refresh token and history, so nothing but
   * the tokens is lost. `unless` may call it off against the stored authorizer. Returns whether it was revoked.
   */
  revoke(componentAppid: string, authorizerAppid: string, reason: string, unless?: (stored: StoredAuthorizer | null) => boolean): Promise<boolean> {
    const id = authorizerId(componentAppid, authorizerAppid);
    return this.#locks.run(id, async (lease) => {
      const stored = this.#open(await this.#store.getPrincipal(id));
      if (unless?.(stored)) return false;
      assertHeld(lease, id);
      // Removed only as read, like every write here: a revoker paused past its lease removes nothing written since.
      if (!(await this.#hub.removePrincipal(id, stored?.record)) && stored !== null) throw overtaken(id);
      const attributes = { ...(stored?.record.attributes ?? {}), component: componentAppid, appid: authorizerAppid, status: 'unauthorized', reason, statusAt: this.#clock.now() };
      const written = await this.#hub.writePrincipal({ id, type: 'authorizer', attributes, secrets: stored?.secrets ?? {} }, null, stored?.record ?? null);
      if (!written) throw overtaken(id);
      return true;
    });
  }

  #open(record: PrincipalRecord | null): StoredAuthorizer | null {
    if (record === null) return null;
    const secrets: Record<string, string> = {};
    for (const name of Object.keys(record.secrets)) {
      const value = this.#hub.openPrincipalSecret(record, name);
      if (value !== undefined) secrets[name] = value;
    }
    return { record, secrets, refreshToken: secrets[REFRESH_TOKEN_SECRET], status: statusOf(record), updatedAt: record.updatedAt };
  }
}

/** A writer whose lease lapsed (a long pause) may have been overtaken by another's read: it must not write. */
function assertHeld(lease: HeldLease, id: string): void {
  if (!lease.held) throw new PrincipalBusyError(`the write lease of ${id} was lost before writing (a long pause?); nothing was written`, { retryAfterSeconds: 1 });
}

/** The store refused the write: the principal changed since read, so a writer whose lease lapsed got in between. */
function overtaken(id: string): PrincipalBusyError {
  return new PrincipalBusyError(`${id} was changed by another writer since it was read (this writer's lease lapsed); nothing was written`, { retryAfterSeconds: 1 });
}

/** An authorizer principal as listed. */
export function authorizerInfo(principal: PrincipalRecord): AuthorizerInfo {
  const { componentAppid, authorizerAppid } = authorizerOf(principal);
  const a = principal.attributes;
  return {
    componentAppid,
    authorizerAppid,
    status: (AUTHORIZER_STATUSES as readonly string[]).includes(String(a.status)) ? (a.status as AuthorizerStatus) : 'active',
    reason: String(a.reason ?? ''),
    statusAt: Number(a.statusAt ?? principal.createdAt),
    refreshTokenHeld: principal.secrets[REFRESH_TOKEN_SECRET] !== undefined,
    funcScopes: String(a.funcScopes ?? '')
      .split(',')
      .filter(Boolean)
      .map(Number),
  };
}
