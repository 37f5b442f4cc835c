import type { ClientKeyRecord, CredentialRecord, PrincipalFilter, PrincipalRecord, Store, StoreListener } from './store.js';

/** What the sealing store needs of core/sealer.ts (kept as an interface so stores/ does not depend on core/). */
export interface ValueSealer {
  seal(plaintext: string, context: string): string;
  open(sealed: string, context: string): string;
  /** Whether a stored value is sealed; anything else is a plaintext value written before sealing existed. */
  isSealed(value: string): boolean;
}

/** The context a credential's value is sealed under: bound to its record key, so a value moved to another fails. */
export function credentialContext(key: string): string {
  return `credential:${key}`;
}

/**
 * A Store decorator that keeps credential values (tokens, tickets) sealed at rest: `putCredential` seals `token`
 * bound to the record's key, `getCredential` opens it. A plaintext value (written by wxtoken 0.1.0, which stored
 * tokens in the clear) reads as it is and is sealed by the next write. Everything else passes through; principals'
 * secrets arrive sealed already.
 *
 * Sealing happens here rather than in the engine so every backend gets it alike and the engine, which compares
 * and hands out values, only ever sees plaintext.
 */
export class SealingStore implements Store {
  readonly #inner: Store;
  readonly #sealer: ValueSealer;
  readonly time?: () => Promise<number>;

  constructor(inner: Store, sealer: ValueSealer) {
    this.#inner = inner;
    this.#sealer = sealer;
    // Only where the backend has a clock: its absence is what tells the hub to use its own.
    if (inner.time) this.time = () => inner.time!();
  }

  get description(): string {
    return this.#inner.description;
  }

  /** The undecorated store, for tools that must see values as stored (tests, `master-key rotate`'s checks). */
  get inner(): Store {
    return this.#inner;
  }

  listPrincipals(filter?: PrincipalFilter): Promise<PrincipalRecord[]> {
    return this.#inner.listPrincipals(filter);
  }
  getPrincipal(id: string): Promise<PrincipalRecord | null> {
    return this.#inner.getPrincipal(id);
  }
  putPrincipal(principal: PrincipalRecord, ifUnchanged?: PrincipalRecord | null): Promise<boolean> {
    return this.#inner.putPrincipal(principal, ifUnchanged);
  }
  deletePrincipal(id: string, ifUnchanged?: PrincipalRecord): Promise<boolean> {
    return this.#inner.deletePrincipal(id, ifUnchanged);
  }

  async getCredential(key: string): Promise<CredentialRecord | null> {
    const record = await this.#inner.getCredential(key);
    return record === null ? null : this.#opened(record);
  }

  async listCredentials(keys?: readonly string[]): Promise<CredentialRecord[]> {
    return (await this.#inner.listCredentials(keys)).map((record) => this.#opened(record));
  }

  listCredentialKeys(): Promise<string[]> {
    return this.#inner.listCredentialKeys();
  }

  putCredential(record: CredentialRecord, expectedVersion: number): Promise<boolean> {
    const token = record.token === null ? null : this.#sealer.seal(record.token, credentialContext(record.key));
    return this.#inner.putCredential({ ...record, token }, expectedVersion);
  }

  listClientKeys(): Promise<ClientKeyRecord[]> {
    return this.#inner.listClientKeys();
  }
  addClientKey(key: ClientKeyRecord): Promise<boolean> {
    return this.#inner.addClientKey(key);
  }
  deleteClientKey(name: string): Promise<boolean> {
    return this.#inner.deleteClientKey(name);
  }
  touchClientKey(name: string, at: number): Promise<void> {
    return this.#inner.touchClientKey(name, at);
  }

  acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    return this.#inner.acquireLease(name, owner, ttlMs);
  }
  releaseLease(name: string, owner: string): Promise<void> {
    return this.#inner.releaseLease(name, owner);
  }
  subscribe(listener: StoreListener): Promise<() => Promise<void>> {
    return this.#inner.subscribe(listener);
  }
  ping(): Promise<void> {
    return this.#inner.ping();
  }
  close(): Promise<void> {
    return this.#inner.close();
  }

  #opened(record: CredentialRecord): CredentialRecord {
    if (record.token === null || !this.#sealer.isSealed(record.token)) return record;
    return { ...record, token: this.#sealer.open(record.token, credentialContext(record.key)) };
  }
}
