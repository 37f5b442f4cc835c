import { systemClock, type Clock } from '../../util/clock.js';
import { StoreUnavailableError } from '../../errors/index.js';
import { assertTtl } from '../arguments.js';
import { ListenerSet } from '../events.js';
import { compareText } from '../records.js';
import { ofTypes, principalUnchanged, type ClientKeyRecord, type CredentialRecord, type PrincipalFilter, type PrincipalRecord, type Store, type StoreEvent, type StoreListener } from '../store.js';

/** Options for a MemoryStore. */
export interface MemoryStoreOptions {
  /** Judges lease expiry. Default: the system clock. */
  clock?: Clock;
}

/**
 * A Store held in this process's memory: for tests, the simulator and single-process trials. Nothing survives a
 * restart and nothing is shared with other processes, so its events reach only its own subscribers.
 *
 * Records are deep-copied and frozen on the way in, so neither the caller who wrote them nor one who read them
 * can change what is stored.
 */
export class MemoryStore implements Store {
  readonly description = 'memory:';
  readonly #clock: Clock;
  readonly #principals = new Map<string, PrincipalRecord>();
  readonly #credentials = new Map<string, CredentialRecord>();
  readonly #clientKeys = new Map<string, ClientKeyRecord>();
  readonly #leases = new Map<string, { owner: string; expiresAt: number }>();
  readonly #listeners = new ListenerSet();
  #closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    this.#clock = options.clock ?? systemClock;
  }

  async listPrincipals(filter?: PrincipalFilter): Promise<PrincipalRecord[]> {
    this.#assertOpen();
    const found =
      filter && 'ids' in filter ? filter.ids.flatMap((id) => this.#principals.get(id) ?? []) : [...this.#principals.values()].filter((p) => ofTypes(p, filter?.types));
    return [...new Set(found)].sort((a, b) => compareText(a.id, b.id));
  }

  async getPrincipal(id: string): Promise<PrincipalRecord | null> {
    this.#assertOpen();
    return this.#principals.get(id) ?? null;
  }

  async putPrincipal(principal: PrincipalRecord, ifUnchanged?: PrincipalRecord | null): Promise<boolean> {
    this.#assertOpen();
    if (ifUnchanged !== undefined && !principalUnchanged(this.#principals.get(principal.id) ?? null, ifUnchanged)) return false;
    this.#principals.set(principal.id, frozenCopy(principal));
    this.#emit({ type: 'principal', id: principal.id });
    return true;
  }

  async deletePrincipal(id: string, ifUnchanged?: PrincipalRecord): Promise<boolean> {
    this.#assertOpen();
    if (ifUnchanged !== undefined && !principalUnchanged(this.#principals.get(id) ?? null, ifUnchanged)) return false;
    const existed = this.#principals.delete(id);
    // Orphaned credentials go even when the principal is already gone.
    const prefix = `${id}:`;
    for (const key of [...this.#credentials.keys()]) if (key.startsWith(prefix)) this.#credentials.delete(key);
    if (!existed) return false;
    this.#emit({ type: 'principal', id });
    return true;
  }

  async getCredential(key: string): Promise<CredentialRecord | null> {
    this.#assertOpen();
    return this.#credentials.get(key) ?? null;
  }

  async listCredentialKeys(): Promise<string[]> {
    this.#assertOpen();
    return [...this.#credentials.keys()].sort(compareText);
  }

  async listCredentials(keys?: readonly string[]): Promise<CredentialRecord[]> {
    this.#assertOpen();
    const found = keys ? [...new Set(keys)].flatMap((key) => this.#credentials.get(key) ?? []) : [...this.#credentials.values()];
    return found.sort((a, b) => compareText(a.key, b.key));
  }

  async putCredential(record: CredentialRecord, expectedVersion: number): Promise<boolean> {
    this.#assertOpen();
    // No await between the check and the write, so concurrent callers cannot interleave here.
    const current = this.#credentials.get(record.key)?.version ?? 0;
    if (current !== expectedVersion) return false;
    const version = expectedVersion + 1;
    this.#credentials.set(record.key, frozenCopy({ ...record, version }));
    this.#emit({ type: 'credential', key: record.key, version });
    return true;
  }

  async listClientKeys(): Promise<ClientKeyRecord[]> {
    this.#assertOpen();
    return [...this.#clientKeys.values()].sort((a, b) => compareText(a.name, b.name));
  }

  async addClientKey(key: ClientKeyRecord): Promise<boolean> {
    this.#assertOpen();
    if (this.#clientKeys.has(key.name)) return false;
    this.#clientKeys.set(key.name, frozenCopy(key));
    this.#emit({ type: 'client-key', name: key.name });
    return true;
  }

  async deleteClientKey(name: string): Promise<boolean> {
    this.#assertOpen();
    if (!this.#clientKeys.delete(name)) return false;
    this.#emit({ type: 'client-key', name });
    return true;
  }

  async touchClientKey(name: string, at: number): Promise<void> {
    this.#assertOpen();
    const key = this.#clientKeys.get(name);
    if (!key || (key.lastUsedAt !== null && key.lastUsedAt >= at)) return;
    this.#clientKeys.set(name, frozenCopy({ ...key, lastUsedAt: at }));
  }

  async acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    this.#assertOpen();
    assertTtl(ttlMs);
    const now = this.#clock.now();
    const held = this.#leases.get(name);
    if (held && held.owner !== owner && held.expiresAt > now) return false;
    this.#leases.set(name, { owner, expiresAt: now + ttlMs });
    return true;
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    this.#assertOpen();
    if (this.#leases.get(name)?.owner === owner) this.#leases.delete(name);
  }

  async subscribe(listener: StoreListener): Promise<() => Promise<void>> {
    this.#assertOpen();
    const remove = this.#listeners.add(listener);
    return async () => remove();
  }

  async ping(): Promise<void> {
    this.#assertOpen();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
  }

  #emit(event: StoreEvent): void {
    this.#listeners.emit(event);
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreUnavailableError('the memory store is closed');
  }
}

/** Creates an empty in-memory store. */
export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  return new MemoryStore(options);
}

function frozenCopy<T>(value: T): T {
  return deepFreeze(structuredClone(value));
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
