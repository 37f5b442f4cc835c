import { hash, randomBytes as nodeRandomBytes } from 'node:crypto';
import { ConflictError, InvalidRequestError } from '../errors/index.js';
import type { ClientKeyRecord, Store } from '../stores/store.js';
import type { ClientKeyInfo } from './token-service.js';
import { APPID_PATTERN } from './token-service.js';

/** Client keys look like `wxt_<43 base64url chars>`: 256 random bits, recognisable in logs and secret scanners. */
export const CLIENT_KEY_PREFIX = 'wxt_';
const KEY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Bound on remembered presented keys; a fleet has far fewer distinct keys than this. */
const RECENT_KEYS_LIMIT = 1_024;

/** SHA-256 of a presented key, the only form in which keys are stored. */
export function hashClientKey(key: string): string {
  return hash('sha256', key, 'hex');
}

/**
 * The client keys, cached in memory by hash so authentication is one digest and one map lookup. Looking up by
 * the digest of what was presented reveals nothing about stored keys through timing, which is what a
 * constant-time comparison is for.
 */
export class KeyRing {
  #byHash = new Map<string, ClientKeyRecord>();
  /**
   * Keys recently presented, by their text, so the hot path skips hashing: a service presents the same key on
   * every request. Only keys that matched are remembered, so strangers cannot grow it; cleared on every reload.
   */
  #recent = new Map<string, ClientKeyRecord>();
  readonly #store: Store;
  readonly #randomBytes: (size: number) => Buffer;
  readonly #now: () => number;

  constructor(store: Store, options: { randomBytes?: (size: number) => Buffer; now: () => number }) {
    this.#store = store;
    this.#randomBytes = options.randomBytes ?? nodeRandomBytes;
    this.#now = options.now;
  }

  /** Reloads every key from the store (at start and on any client-key event). */
  async reload(): Promise<void> {
    const keys = await this.#store.listClientKeys();
    this.#byHash = new Map(keys.map((k) => [k.hash, k]));
    this.#recent = new Map();
  }

  /** The key record for a presented key, or null. */
  authenticate(presented: string): ClientKeyRecord | null {
    const recent = this.#recent.get(presented);
    if (recent) return recent;
    if (!presented.startsWith(CLIENT_KEY_PREFIX)) return null;
    const record = this.#byHash.get(hashClientKey(presented)) ?? null;
    if (record) {
      if (this.#recent.size >= RECENT_KEYS_LIMIT) this.#recent.clear();
      this.#recent.set(presented, record);
    }
    return record;
  }

  /** Creates a key scoped to `apps` (`['*']` = all) and returns it; only its hash is stored. */
  async create(name: string, apps: readonly string[]): Promise<string> {
    if (!KEY_NAME_PATTERN.test(name)) {
      throw new InvalidRequestError(`key name must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`);
    }
    if (apps.length === 0) throw new InvalidRequestError('a key needs at least one app (or "*" for all)');
    for (const appid of apps) {
      if (appid !== '*' && !APPID_PATTERN.test(appid)) throw new InvalidRequestError(`invalid appid ${JSON.stringify(appid)} in key scope`);
    }
    const key = CLIENT_KEY_PREFIX + this.#randomBytes(32).toString('base64url');
    const record: ClientKeyRecord = { name, hash: hashClientKey(key), apps: [...new Set(apps)], createdAt: this.#now() };
    if (!(await this.#store.addClientKey(record))) throw new ConflictError(`a client key named ${name} already exists`);
    this.#byHash.set(record.hash, record);
    return key;
  }

  /** Lists keys without their hashes. */
  async list(): Promise<ClientKeyInfo[]> {
    const keys = await this.#store.listClientKeys();
    return keys.map(({ name, apps, createdAt }) => ({ name, apps, createdAt })).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Deletes a key by name; returns whether it existed. */
  async revoke(name: string): Promise<boolean> {
    const existed = await this.#store.deleteClientKey(name);
    for (const [hash, record] of this.#byHash) if (record.name === name) this.#byHash.delete(hash);
    this.#recent = new Map();
    return existed;
  }
}
