/**
 * The Store contract: everything wxtoken persists, behind one small interface that memory, SQLite, Redis and
 * PostgreSQL implement and one conformance suite (test/stores/conformance.ts) checks.
 *
 * Invariants every implementation keeps:
 * - Times are absolute epoch milliseconds, never relative.
 * - Secrets arrive already sealed (AES-256-GCM, see core/secret-box.ts); a store never sees a plaintext secret.
 * - `putCredential` is a compare-and-set on `version`: it is the fencing step that stops an instance which lost
 *   its lease (GC pause, partition) from overwriting a newer token with an older one.
 * - Every write that changes a record publishes a StoreEvent to subscribers of every instance on the same store
 *   (the writer's own included). Delivery is best effort: readers must converge by re-reading the store, at once
 *   when the store signals `resync` (its feed came back after an interruption) and periodically besides.
 * - All SQL uses bound parameters.
 */

/** How an Official Account / Mini Program token is obtained. */
export type Grant = 'stable' | 'classic';

/**
 * The sorts of principal credentials belong to: an Official Account / Mini Program app; a WeCom app of a corp
 * (an agent, or a named secret such as contacts); an Open Platform component; an authorizer managed by one.
 */
export type PrincipalType = 'app' | 'wecom_agent' | 'component' | 'authorizer';

/** A principal's non-secret settings (an app's grant, a WeCom agent's agentid): a flat JSON object. */
export type PrincipalAttributes = { readonly [name: string]: string | number | boolean };

/** A principal's secrets by name (`secret` for an AppSecret), each sealed with the hub's master key. */
export type SealedSecrets = { readonly [name: string]: string };

/**
 * Whoever credentials belong to. Its credentials' keys start with `<id>:`. The id is unique across types; its
 * form is the type's (core/principals.ts): `wx…` for an app, `wecom:<corpid>/<agent>` for a WeCom app.
 */
export interface PrincipalRecord {
  readonly id: string;
  readonly type: PrincipalType;
  readonly attributes: PrincipalAttributes;
  /** Opaque to the store. */
  readonly secrets: SealedSecrets;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** Why the last refresh failed, kept so every instance (and the admin API) sees it. */
export interface RefreshFailure {
  /** wxtoken error code, e.g. `credentials_rejected`. */
  readonly code: string;
  readonly message: string;
  /** WeChat errcode when WeChat answered, else undefined. */
  readonly errcode?: number;
  /** Errcode category (see wechat/errcodes.ts) or `transient` for transport failures. */
  readonly category: string;
  readonly at: number;
  /** Earliest time the next automatic attempt may run; undefined = never (until the app is changed). */
  readonly retryAt?: number;
  /** Consecutive failures, for backoff. */
  readonly attempts: number;
}

/** A credential kind's own state in its record: a small JSON object only that kind reads (core/kinds/). */
export type KindState = { readonly [field: string]: unknown };

/**
 * An upstream fetch under way: written before the call, cleared by the write that stores its result. Found on a
 * record whose lease has lapsed, it means the fetching instance died after WeChat may have replaced the value.
 */
export interface PendingRefresh {
  /** Lease owner (instance id) that began the fetch. */
  readonly owner: string;
  readonly since: number;
}

/** The state of one credential (an app's access token, a ticket...): its current value and refresh state. */
export interface CredentialRecord {
  /** `<principal id>:<kind>`, e.g. `wx0123456789abcdef:access_token` or `wx0123456789abcdef:jsapi_ticket`. */
  readonly key: string;
  /** Starts at 1 on first write, +1 on every successful putCredential. 0 means "absent" in putCredential. */
  readonly version: number;
  /** The credential's value (a token, a ticket). */
  readonly token: string | null;
  /** Absolute expiry of `token` (epoch ms); 0 when there is none. */
  readonly expiresAt: number;
  /** When `token` was obtained from WeChat (epoch ms); 0 when there is none. */
  readonly obtainedAt: number;
  readonly failure: RefreshFailure | null;
  /** The kind's own state (the stable token's force log, a ticket's first-seen bookkeeping); null when none. */
  readonly state: KindState | null;
  readonly pending: PendingRefresh | null;
  /** Refreshes caused by invalidation reports since the last one that was not (each doubles the next one's floor). */
  readonly invalidations: number;
}

/** A client (business service) key; the key itself is never stored, only its SHA-256. */
export interface ClientKeyRecord {
  readonly name: string;
  /** Lower-case hex SHA-256 of the key. */
  readonly hash: string;
  /**
   * The key's scope entries (core/key-scope.ts): appids, `*`, `wecom:…`, `component:…`. The field keeps the name
   * it had when scopes were only appids.
   */
  readonly apps: readonly string[];
  readonly createdAt: number;
  /** The actions the key may perform (core/key-scope.ts); null = every action (all keys written by 0.1.0). */
  readonly capabilities: readonly string[] | null;
  /** When the key stops being accepted (epoch ms); null = never. */
  readonly expiresAt: number | null;
  /** When the key was last presented, as last flushed by an instance (about a minute's resolution); null = never. */
  readonly lastUsedAt: number | null;
}

/** A record that changed; subscribers re-read what they care about. */
export type RecordEvent =
  | { readonly type: 'credential'; readonly key: string; readonly version: number }
  | { readonly type: 'principal'; readonly id: string }
  | { readonly type: 'client-key'; readonly name: string };

/**
 * What subscribers receive: a record that changed, or `resync` when the store's event feed was interrupted and
 * is back (a shared store's subscription reconnected): events may have been lost meanwhile, so re-read everything.
 */
export type StoreEvent = RecordEvent | { readonly type: 'resync' };

/** Receives store events; must not throw. */
export type StoreListener = (event: StoreEvent) => void;

/** Which principals listPrincipals reads: those of some types, or those of some ids. */
export type PrincipalFilter = { readonly types: readonly PrincipalType[] } | { readonly ids: readonly string[] };

/** Whether a principal passes a filter by type (for backends that filter after reading; none: every principal). */
export function ofTypes(principal: Pick<PrincipalRecord, 'type'>, types: readonly PrincipalType[] | undefined): boolean {
  return types === undefined || types.includes(principal.type);
}

/** Whether `stored` is still the principal a writer read (`read`; null: none): putPrincipal's `ifUnchanged`. */
export function principalUnchanged(stored: Pick<PrincipalRecord, 'updatedAt'> | null, read: Pick<PrincipalRecord, 'updatedAt'> | null): boolean {
  return read === null ? stored === null : stored !== null && stored.updatedAt === read.updatedAt;
}

/** The `updatedAt` of a write over `existing`: now, but later than the record it replaces, which ifUnchanged compares. */
export function nextUpdatedAt(existing: Pick<PrincipalRecord, 'updatedAt'> | null, now: number): number {
  return existing === null ? now : Math.max(now, existing.updatedAt + 1);
}

/** Persistence for the hub. Methods reject with StoreUnavailableError when the backend cannot be reached. */
export interface Store {
  /** Human-readable description without credentials, e.g. `sqlite:./wxtoken.db` or `redis://127.0.0.1:6379/0`. */
  readonly description: string;

  /**
   * Principals in id order, read in bulk (not necessarily a snapshot, as listCredentials): every one, those of the
   * given types, or those of the given ids that exist. Filtered in the backend where it can, so an instance that
   * needs a few of 100,000 principals does not hold them all at once.
   */
  listPrincipals(filter?: PrincipalFilter): Promise<PrincipalRecord[]>;
  getPrincipal(id: string): Promise<PrincipalRecord | null>;
  /**
   * Creates or replaces the principal (and publishes a `principal` event). With `ifUnchanged` (the record the
   * writer read, null: none), only if the stored principal is still that one, compared by `updatedAt` (so a writer
   * must make it grow: nextUpdatedAt): a compare-and-set in the store itself, which fences a writer whose lease
   * lapsed during a pause. Returns whether it wrote (always true without `ifUnchanged`).
   */
  putPrincipal(principal: PrincipalRecord, ifUnchanged?: PrincipalRecord | null): Promise<boolean>;
  /**
   * Removes the principal and every credential whose key starts with `<id>:`. Returns whether it existed. With
   * `ifUnchanged` (the record the writer read), only if the stored principal is still that one (as for
   * putPrincipal); otherwise nothing is removed and it returns false.
   */
  deletePrincipal(id: string, ifUnchanged?: PrincipalRecord): Promise<boolean>;

  getCredential(key: string): Promise<CredentialRecord | null>;
  /** Every credential record's key, in key order (for maintenance such as `master-key rotate`; never on a hot path). */
  listCredentialKeys(): Promise<string[]>;
  /**
   * Credential records in key order, read in bulk (an instance's start-up and periodic resync): every one, or those
   * of the given keys that exist; no round trip per record. Not necessarily a snapshot (Redis reads in pages): a
   * record written meanwhile may come in its old or new version, which readers reconcile by version.
   */
  listCredentials(keys?: readonly string[]): Promise<CredentialRecord[]>;
  /**
   * Writes `record` with version `expectedVersion + 1` if the stored version is `expectedVersion` (0: absent).
   * Returns false, writing nothing, when another writer got there first. `record.version` is ignored.
   */
  putCredential(record: CredentialRecord, expectedVersion: number): Promise<boolean>;

  listClientKeys(): Promise<ClientKeyRecord[]>;
  /** Adds a key; returns false (writing nothing) when the name is taken. */
  addClientKey(key: ClientKeyRecord): Promise<boolean>;
  /** Returns whether a key of that name existed. */
  deleteClientKey(name: string): Promise<boolean>;
  /**
   * Records that the named key was used at `at`, keeping the later of `at` and the stored time; does nothing for an
   * unknown name. Publishes no event: last-used times are read when listed, never pushed to instances.
   */
  touchClientKey(name: string, at: number): Promise<void>;

  /**
   * Takes the named lease for `owner` for `ttlMs` if it is free or expired (or already `owner`'s, which extends it).
   * Expiry is judged by the store's clock where the backend has one. Returns whether `owner` now holds it.
   */
  acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Releases the lease only if `owner` holds it. */
  releaseLease(name: string, owner: string): Promise<void>;

  /** Starts delivering events to `listener`; resolves to an unsubscribe function. */
  subscribe(listener: StoreListener): Promise<() => Promise<void>>;

  /** The store's own clock (epoch ms), where the backend has one; instances align their clocks on it. */
  time?(): Promise<number>;

  /** Resolves when the backend answers; rejects with StoreUnavailableError otherwise. */
  ping(): Promise<void>;
  /** Releases connections and timers. Idempotent. */
  close(): Promise<void>;
}
