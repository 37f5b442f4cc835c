import { hash, randomBytes as nodeRandomBytes } from 'node:crypto';
import { ConflictError, InvalidRequestError } from '../errors/index.js';
import type { ClientKeyRecord, Store } from '../stores/store.js';
import { capabilitiesFrom, LOGIN_ONLY_CAPABILITIES, parseScopes, SIGN_ONLY_CAPABILITIES, type ClientIdentity } from './key-scope.js';
import { DEFAULT_KEY_USE_FLUSH_MS, KeyUsage } from './key-usage.js';
import type { ClientKeyInfo, NewClientKeyOptions } from './token-service.js';

/** Client keys look like `wxt_<43 base64url chars>`: 256 random bits, recognisable in logs and secret scanners. */
export const CLIENT_KEY_PREFIX = 'wxt_';
const KEY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Bound on remembered presented keys; a fleet has far fewer distinct keys than this. */
const RECENT_KEYS_LIMIT = 1_024;

/** SHA-256 of a presented key, the only form in which keys are stored. */
export function hashClientKey(key: string): string {
  return hash('sha256', key, 'hex');
}

/** Whether a key with this expiry is accepted at `now`: an expired key is refused exactly like an unknown one. */
export function keyLive(expiresAt: number | null, now: number): boolean {
  return expiresAt === null || now < expiresAt;
}

/**
 * A stored key with the identity routes see, built once per reload rather than per request. `used` is set by
 * authenticate and turned into a time by the next collection (a flush, a listing, a reload): one property write
 * is all a request pays for last-used tracking, no clock reading and no map update.
 */
interface Entry {
  readonly record: ClientKeyRecord;
  readonly identity: ClientIdentity;
  used: boolean;
}

function entryOf(record: ClientKeyRecord): Entry {
  return {
    record,
    identity: Object.freeze({ name: record.name, scopes: record.apps, capabilities: capabilitiesFrom(record.capabilities) }),
    used: false,
  };
}

/** Options of a KeyRing. */
export interface KeyRingOptions {
  randomBytes?: (size: number) => Buffer;
  now: () => number;
  /** How often at most a key's last-used time is written (default DEFAULT_KEY_USE_FLUSH_MS). */
  useFlushMs?: number;
}

/**
 * The client keys, cached in memory by hash so authentication is one digest and one map lookup. Looking up by
 * the digest of what was presented reveals nothing about stored keys through timing, which is what a
 * constant-time comparison is for.
 */
export class KeyRing {
  #byHash = new Map<string, Entry>();
  /**
   * Keys recently presented, by their text, so the hot path skips hashing: a service presents the same key on
   * every request. Only keys that matched are remembered, so strangers cannot grow it; cleared on every reload.
   */
  #recent = new Map<string, Entry>();
  readonly #store: Store;
  readonly #randomBytes: (size: number) => Buffer;
  readonly #now: () => number;
  readonly #usage: KeyUsage;

  constructor(store: Store, options: KeyRingOptions) {
    this.#store = store;
    this.#randomBytes = options.randomBytes ?? nodeRandomBytes;
    this.#now = options.now;
    this.#usage = new KeyUsage(options.useFlushMs ?? DEFAULT_KEY_USE_FLUSH_MS);
  }

  /** Reloads every key from the store (at start and on any client-key event). */
  async reload(): Promise<void> {
    const keys = await this.#store.listClientKeys();
    this.#collectUses(); // before the entries holding the flags are replaced
    this.#byHash = new Map(keys.map((k) => [k.hash, entryOf(k)]));
    this.#recent = new Map();
  }

  /** The identity of a presented key, or null when it is unknown or expired. Notes the use in memory. */
  authenticate(presented: string): ClientIdentity | null {
    let entry = this.#recent.get(presented);
    if (entry === undefined) {
      if (!presented.startsWith(CLIENT_KEY_PREFIX)) return null;
      entry = this.#byHash.get(hashClientKey(presented));
      if (entry === undefined) return null;
      if (this.#recent.size >= RECENT_KEYS_LIMIT) this.#recent.clear();
      this.#recent.set(presented, entry);
    }
    // The clock is read only for keys that can expire: the common key costs nothing here.
    if (entry.record.expiresAt !== null && !keyLive(entry.record.expiresAt, this.#now())) return null;
    entry.used = true;
    return entry.identity;
  }

  /** Creates a key with `scopes` (see core/key-scope.ts) and returns it; only its hash is stored. */
  async create(name: string, scopes: readonly string[], options: NewClientKeyOptions = {}): Promise<string> {
    if (!KEY_NAME_PATTERN.test(name)) {
      throw new InvalidRequestError(`key name must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`);
    }
    const apps = parseScopes(scopes);
    if (options.signOnly && options.loginOnly) throw new InvalidRequestError('a key is sign-only or login-only, not both');
    const now = this.#now();
    const expiresAt = options.expiresAt ?? null;
    if (expiresAt !== null && (!Number.isFinite(expiresAt) || expiresAt <= now)) {
      throw new InvalidRequestError('a key expiry must be a time in the future');
    }
    const key = CLIENT_KEY_PREFIX + this.#randomBytes(32).toString('base64url');
    const record: ClientKeyRecord = {
      name,
      hash: hashClientKey(key),
      apps,
      createdAt: now,
      capabilities: options.signOnly ? [...SIGN_ONLY_CAPABILITIES] : options.loginOnly ? [...LOGIN_ONLY_CAPABILITIES] : null,
      expiresAt,
      lastUsedAt: null,
    };
    if (!(await this.#store.addClientKey(record))) throw new ConflictError(`a client key named ${name} already exists`);
    this.#byHash.set(record.hash, entryOf(record));
    return key;
  }

  /** Lists keys without their hashes; last-used times include this process's uses not yet written. */
  async list(): Promise<ClientKeyInfo[]> {
    const keys = await this.#store.listClientKeys();
    this.#collectUses();
    return keys
      .map((k) => {
        const noted = this.#usage.lastUse(k.name);
        const lastUsedAt = noted !== undefined && (k.lastUsedAt === null || noted > k.lastUsedAt) ? noted : k.lastUsedAt;
        return {
          name: k.name,
          apps: k.apps,
          capabilities: capabilitiesFrom(k.capabilities),
          createdAt: k.createdAt,
          expiresAt: k.expiresAt,
          lastUsedAt,
        };
      })
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Deletes a key by name; returns whether it existed. */
  async revoke(name: string): Promise<boolean> {
    const existed = await this.#store.deleteClientKey(name);
    for (const [hash, entry] of this.#byHash) if (entry.record.name === name) this.#byHash.delete(hash);
    this.#recent = new Map();
    this.#usage.forget(name);
    return existed;
  }

  /**
   * Turns the keys flagged as used since the last collection into uses at the current time, and returns it. The
   * time recorded is thus when a use was collected (at most one periodic tick, 5 s by default, after it happened).
   */
  #collectUses(): number {
    const now = this.#now();
    for (const entry of this.#byHash.values()) {
      if (!entry.used) continue;
      entry.used = false;
      this.#usage.note(entry.record.name, now);
    }
    return now;
  }

  /**
   * Writes the last-used times that are due (each key at most once per flush interval; `all`: everything not yet
   * written, at shutdown). A failed write is retried on the next call.
   */
  async flushUsage(all = false): Promise<void> {
    const now = this.#collectUses();
    for (const use of this.#usage.due(now, all)) {
      await this.#store.touchClientKey(use.name, use.at);
      this.#usage.written(use, now);
    }
  }
}
