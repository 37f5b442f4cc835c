import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { systemClock, type CancelTimer, type Clock } from '../../util/clock.js';
import { StoreUnavailableError, type WxTokenError } from '../../errors/index.js';
import { assertTtl } from '../arguments.js';
import { positiveOption } from '../config.js';
import { ListenerSet } from '../events.js';
import { storeUnavailable } from '../outage.js';
import type { ClientKeyRecord, CredentialRecord, PrincipalFilter, PrincipalRecord, RecordEvent, Store, StoreListener } from '../store.js';
import {
  clientKeyFromRow,
  credentialFromRow,
  credentialParams,
  principalFromRow,
  principalParams,
  type PrincipalRow,
  type ClientKeyRow,
  type CredentialRow,
} from './rows.js';
import { holdForProcessLifetime } from './process-lifetime.js';
import { migrate } from './schema.js';
import { DEFAULT_SQLITE_PATH } from './default-path.js';

export { DEFAULT_SQLITE_PATH };

/** The database file when none is configured (relative to the working directory). */

/**
 * How often a subscribed instance polls the change feed. SQLite cannot push, so a running hub learns of a CLI
 * write this late at worst; 500 ms is quicker than an operator can look, and one indexed `id > ?` read twice a
 * second costs nothing. Only instances with subscribers poll.
 */
export const DEFAULT_POLL_INTERVAL_MS = 500;

/**
 * How long a connection waits for another process's write lock before failing. Write transactions are a few
 * statements long, so waits are milliseconds; 5 s rides out a checkpoint or a slow disk. better-sqlite3 waits
 * synchronously, so this also bounds how long the event loop can stall on a contended lock.
 */
export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

/**
 * How long change-feed rows are kept. Pollers read them within a poll interval; a minute covers a process that was
 * paused for a while. Older rows are pruned by writers, and a reader that missed them converges by re-reading.
 */
export const DEFAULT_CHANGE_RETENTION_MS = 60_000;

/** Most change rows read in one poll; a backlog beyond that is read on the following polls. */
const POLL_BATCH = 1_000;

/** Options for a SqliteStore. */
export interface SqliteStoreOptions {
  /** Judges lease expiry, stamps change rows and drives polling. Default: the system clock. */
  clock?: Clock;
  /** Change-feed poll interval while subscribed. Default DEFAULT_POLL_INTERVAL_MS. */
  pollIntervalMs?: number;
  /** SQLite busy timeout. Default DEFAULT_BUSY_TIMEOUT_MS. */
  busyTimeoutMs?: number;
  /** Change-feed retention. Default DEFAULT_CHANGE_RETENTION_MS. */
  changeRetentionMs?: number;
}

interface ChangeRow {
  id: number;
  type: string;
  key: string;
  version: number;
}

/**
 * The embedded default Store: one SQLite file in WAL mode, shared safely by several processes (a running hub and
 * the CLI). Every write runs in an IMMEDIATE transaction, which takes the write lock up front so two processes never
 * deadlock upgrading read locks, and appends to the `changes` feed in the same transaction. Subscribed instances
 * poll that feed to learn of other processes' writes; their own writes are delivered at once and skipped (by change
 * id) when the poll reaches them, so each subscriber sees each change once.
 */
export class SqliteStore implements Store {
  readonly description: string;
  readonly #path: string;
  readonly #db: Database.Database;
  readonly #clock: Clock;
  readonly #pollIntervalMs: number;
  readonly #retentionMs: number;
  readonly #listeners = new ListenerSet();
  /** Ids of own changes already delivered, awaiting the poll that reaches them. */
  readonly #delivered = new Set<number>();
  #cursor = 0;
  #cancelPoll: CancelTimer | undefined;
  #closed = false;
  readonly #sql: ReturnType<typeof prepare>;

  /** Opens (creating and migrating as needed) the database at `path`. Prefer createSqliteStore. */
  constructor(path: string, options: SqliteStoreOptions = {}) {
    this.#path = path;
    this.description = `sqlite:${path}`;
    this.#clock = options.clock ?? systemClock;
    this.#pollIntervalMs = positive('pollIntervalMs', options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS);
    this.#retentionMs = positive('changeRetentionMs', options.changeRetentionMs ?? DEFAULT_CHANGE_RETENTION_MS);
    const busyTimeoutMs = positive('busyTimeoutMs', options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS);
    if (path !== ':memory:') createPrivately(path);
    // The database and every statement stay reachable until exit, closed or not: a garbage collection that
    // destroys one aborts the process on Node 24 (see process-lifetime.ts). So no pragma(), which makes a statement
    // per call, and no iterate().
    this.#db = holdForProcessLifetime(new Database(path, { timeout: busyTimeoutMs }));
    try {
      // WAL lets readers (the hub serving tokens) proceed while another process writes.
      this.#db.exec('PRAGMA journal_mode = WAL');
      migrate(this.#db, path);
      this.#sql = holdForProcessLifetime(prepare(this.#db));
    } catch (error) {
      this.#db.close();
      throw error;
    }
  }

  async listPrincipals(filter?: PrincipalFilter): Promise<PrincipalRecord[]> {
    return this.#read('list principals', () => {
      const rows = !filter
        ? this.#sql.listPrincipals.all()
        : 'ids' in filter
          ? this.#sql.listPrincipalsById.all(JSON.stringify(filter.ids))
          : this.#sql.listPrincipalsByType.all(JSON.stringify(filter.types));
      return (rows as PrincipalRow[]).map(principalFromRow);
    });
  }

  async getPrincipal(id: string): Promise<PrincipalRecord | null> {
    return this.#read('read principal', () => {
      const row = this.#sql.getPrincipal.get(id) as PrincipalRow | undefined;
      return row ? principalFromRow(row) : null;
    });
  }

  async putPrincipal(principal: PrincipalRecord, ifUnchanged?: PrincipalRecord | null): Promise<boolean> {
    return this.#write('write principal', (change) => {
      const params = principalParams(principal);
      // The comparison is in the statement itself, so the compare-and-set holds across processes.
      const info =
        ifUnchanged === undefined
          ? this.#sql.putPrincipal.run(params)
          : ifUnchanged === null
            ? this.#sql.insertPrincipal.run(params)
            : this.#sql.updatePrincipal.run({ ...params, expected_updated_at: ifUnchanged.updatedAt });
      if (info.changes === 0) return false;
      change({ type: 'principal', id: principal.id });
      return true;
    });
  }

  async deletePrincipal(id: string, ifUnchanged?: PrincipalRecord): Promise<boolean> {
    return this.#write('delete principal', (change) => {
      if (ifUnchanged !== undefined && this.#sql.deletePrincipalIf.run(id, ifUnchanged.updatedAt).changes === 0) return false;
      const existed = ifUnchanged !== undefined || this.#sql.deletePrincipal.run(id).changes > 0;
      // A range on the primary key rather than LIKE: ids may hold `_` or `%`, and the range uses the index.
      // Every key starting with "<id>:" sorts in ["<id>:", "<id>;"), ';' being the byte after ':'.
      // Orphans are removed even when the principal is already gone.
      this.#sql.deleteCredentialsOf.run(`${id}:`, `${id};`);
      if (!existed) return false;
      change({ type: 'principal', id });
      return true;
    });
  }

  async getCredential(key: string): Promise<CredentialRecord | null> {
    return this.#read('read credential', () => {
      const row = this.#sql.getCredential.get(key) as CredentialRow | undefined;
      return row ? credentialFromRow(row) : null;
    });
  }

  async listCredentials(keys?: readonly string[]): Promise<CredentialRecord[]> {
    return this.#read('list credentials', () => {
      const rows = keys ? this.#sql.listCredentialsByKey.all(JSON.stringify(keys)) : this.#sql.listCredentials.all();
      return (rows as CredentialRow[]).map(credentialFromRow);
    });
  }

  async listCredentialKeys(): Promise<string[]> {
    return this.#read('list credentials', () => (this.#sql.listCredentialKeys.all() as { key: string }[]).map((row) => row.key));
  }

  async putCredential(record: CredentialRecord, expectedVersion: number): Promise<boolean> {
    return this.#write('write credential', (change) => {
      const version = expectedVersion + 1;
      const params = credentialParams(record, version);
      // The version test is in the statement itself, so the compare-and-set holds across processes.
      const info =
        expectedVersion === 0
          ? this.#sql.insertCredential.run(params)
          : this.#sql.updateCredential.run({ ...params, expected: expectedVersion });
      if (info.changes === 0) return false;
      change({ type: 'credential', key: record.key, version });
      return true;
    });
  }

  async listClientKeys(): Promise<ClientKeyRecord[]> {
    return this.#read('list client keys', () => (this.#sql.listClientKeys.all() as ClientKeyRow[]).map(clientKeyFromRow));
  }

  async addClientKey(key: ClientKeyRecord): Promise<boolean> {
    return this.#write('add client key', (change) => {
      const info = this.#sql.addClientKey.run({
        name: key.name,
        hash: key.hash,
        apps: JSON.stringify(key.apps),
        created_at: key.createdAt,
        capabilities: key.capabilities === null ? null : JSON.stringify(key.capabilities),
        expires_at: key.expiresAt,
        last_used_at: key.lastUsedAt,
      });
      if (info.changes === 0) return false;
      change({ type: 'client-key', name: key.name });
      return true;
    });
  }

  async deleteClientKey(name: string): Promise<boolean> {
    return this.#write('delete client key', (change) => {
      if (this.#sql.deleteClientKey.run(name).changes === 0) return false;
      change({ type: 'client-key', name });
      return true;
    });
  }

  async touchClientKey(name: string, at: number): Promise<void> {
    // No change row: a last-used time is read when listed, never pushed to other processes.
    await this.#write('record client key use', () => {
      this.#sql.touchClientKey.run({ name, at });
    });
  }

  async acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    assertTtl(ttlMs);
    return this.#write('acquire lease', () => {
      const now = this.#clock.now();
      const held = this.#sql.getLease.get(name) as { owner: string; expires_at: number } | undefined;
      if (held && held.owner !== owner && held.expires_at > now) return false;
      this.#sql.putLease.run({ name, owner, expires_at: now + ttlMs });
      return true;
    });
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    this.#write('release lease', () => {
      this.#sql.releaseLease.run(name, owner);
    });
  }

  async subscribe(listener: StoreListener): Promise<() => Promise<void>> {
    this.#assertOpen();
    if (this.#listeners.size === 0) {
      // Start from now: a new subscriber wants changes from here on, not the retained history.
      this.#cursor = this.#read('subscribe', () => (this.#sql.lastChange.get() as { id: number | null }).id ?? 0);
      this.#delivered.clear();
      this.#schedulePoll();
    }
    const remove = this.#listeners.add(listener);
    return async () => {
      remove();
      if (this.#listeners.size === 0) this.#stopPolling();
    };
  }

  async ping(): Promise<void> {
    this.#read('ping', () => this.#sql.ping.get());
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopPolling();
    this.#listeners.clear();
    this.#db.close();
  }

  /** Reads the change feed once and delivers what other instances wrote. */
  #poll(): void {
    if (this.#closed || this.#listeners.size === 0) return;
    let rows: ChangeRow[];
    try {
      rows = this.#sql.changesSince.all(this.#cursor, POLL_BATCH) as ChangeRow[];
    } catch {
      // Best effort: a locked or briefly unreadable file is retried on the next tick.
      return;
    }
    for (const row of rows) {
      this.#cursor = row.id;
      if (this.#delivered.delete(row.id)) continue;
      const event = eventFromChange(row);
      if (event) this.#listeners.emit(event);
    }
  }

  #schedulePoll(): void {
    this.#cancelPoll = this.#clock.setTimer(() => {
      this.#poll();
      if (!this.#closed && this.#listeners.size > 0) this.#schedulePoll();
    }, this.#pollIntervalMs);
  }

  #stopPolling(): void {
    this.#cancelPoll?.();
    this.#cancelPoll = undefined;
    this.#delivered.clear();
  }

  #read<T>(operation: string, fn: () => T): T {
    this.#assertOpen();
    try {
      return fn();
    } catch (error) {
      throw this.#wrap(operation, error);
    }
  }

  /**
   * Runs `fn` in an IMMEDIATE transaction. Changes it reports through `change` are appended to the feed in the
   * same transaction and, once committed, delivered to this instance's subscribers.
   */
  #write<T>(operation: string, fn: (change: (event: RecordEvent) => void) => T): T {
    this.#assertOpen();
    const committed: { id: number; event: RecordEvent }[] = [];
    const transaction = this.#db.transaction(() => {
      committed.length = 0; // in case better-sqlite3 ever retries the function
      const now = this.#clock.now();
      const result = fn((event) => {
        const [key, version] = changeKey(event);
        const id = Number(this.#sql.appendChange.run(event.type, key, version, now).lastInsertRowid);
        committed.push({ id, event });
      });
      if (committed.length > 0) this.#sql.pruneChanges.run(now - this.#retentionMs);
      return result;
    });
    let result: T;
    try {
      result = transaction.immediate();
    } catch (error) {
      throw this.#wrap(operation, error);
    }
    if (this.#listeners.size > 0) {
      for (const { id, event } of committed) {
        this.#delivered.add(id);
        this.#listeners.emit(event);
      }
    }
    return result;
  }

  #wrap(operation: string, error: unknown): WxTokenError {
    return storeUnavailable(`SQLite store ${this.#path}: ${operation} failed`, error);
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreUnavailableError(`SQLite store ${this.#path} is closed`);
  }
}

/**
 * Opens the SQLite store at `path` (default DEFAULT_SQLITE_PATH), creating its directory, the file and the schema
 * as needed. Rejects with ConfigError for bad options or a database from a newer wxtoken, StoreUnavailableError
 * when the file cannot be opened.
 */
/**
 * Creates the database file with mode 0600 if it does not exist yet (an existing file keeps its mode). It holds
 * tokens and sealed secrets, so other users must not read it; SQLite gives the -wal and -shm files it creates
 * beside it the database file's mode, so they are 0600 too. better-sqlite3 would create it 0644 (less the umask).
 */
function createPrivately(path: string): void {
  closeSync(openSync(path, 'a', 0o600));
}

export async function createSqliteStore(path: string = DEFAULT_SQLITE_PATH, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    return new SqliteStore(path, options);
  } catch (error) {
    throw storeUnavailable(`SQLite store ${path}: cannot open`, error);
  }
}

function prepare(db: Database.Database) {
  return {
    ping: db.prepare('SELECT 1'),
    listPrincipals: db.prepare('SELECT * FROM principals ORDER BY id'),
    // The filters arrive as one JSON array parameter: no statement per list length, no string building.
    listPrincipalsById: db.prepare('SELECT * FROM principals WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id'),
    listPrincipalsByType: db.prepare('SELECT * FROM principals WHERE type IN (SELECT value FROM json_each(?)) ORDER BY id'),
    getPrincipal: db.prepare('SELECT * FROM principals WHERE id = ?'),
    putPrincipal: db.prepare(
      `INSERT INTO principals (id, type, attributes, secrets, created_at, updated_at)
       VALUES (@id, @type, @attributes, @secrets, @created_at, @updated_at)
       ON CONFLICT (id) DO UPDATE SET type = excluded.type, attributes = excluded.attributes,
         secrets = excluded.secrets, created_at = excluded.created_at, updated_at = excluded.updated_at`,
    ),
    insertPrincipal: db.prepare(
      `INSERT INTO principals (id, type, attributes, secrets, created_at, updated_at)
       VALUES (@id, @type, @attributes, @secrets, @created_at, @updated_at)
       ON CONFLICT (id) DO NOTHING`,
    ),
    updatePrincipal: db.prepare(
      `UPDATE principals SET type = @type, attributes = @attributes, secrets = @secrets, created_at = @created_at,
         updated_at = @updated_at
       WHERE id = @id AND updated_at = @expected_updated_at`,
    ),
    deletePrincipal: db.prepare('DELETE FROM principals WHERE id = ?'),
    deletePrincipalIf: db.prepare('DELETE FROM principals WHERE id = ? AND updated_at = ?'),
    deleteCredentialsOf: db.prepare('DELETE FROM credentials WHERE key >= ? AND key < ?'),
    getCredential: db.prepare('SELECT * FROM credentials WHERE key = ?'),
    listCredentialKeys: db.prepare('SELECT key FROM credentials ORDER BY key'),
    listCredentials: db.prepare('SELECT * FROM credentials ORDER BY key'),
    listCredentialsByKey: db.prepare('SELECT * FROM credentials WHERE key IN (SELECT value FROM json_each(?)) ORDER BY key'),
    insertCredential: db.prepare(
      `INSERT INTO credentials (key, version, token, expires_at, obtained_at, failure, state, pending, invalidations)
       VALUES (@key, @version, @token, @expires_at, @obtained_at, @failure, @state, @pending, @invalidations)
       ON CONFLICT (key) DO NOTHING`,
    ),
    updateCredential: db.prepare(
      `UPDATE credentials SET version = @version, token = @token, expires_at = @expires_at,
         obtained_at = @obtained_at, failure = @failure, state = @state, pending = @pending,
         invalidations = @invalidations
       WHERE key = @key AND version = @expected`,
    ),
    listClientKeys: db.prepare('SELECT * FROM client_keys ORDER BY name'),
    addClientKey: db.prepare(
      `INSERT INTO client_keys (name, hash, apps, created_at, capabilities, expires_at, last_used_at)
       VALUES (@name, @hash, @apps, @created_at, @capabilities, @expires_at, @last_used_at)
       ON CONFLICT (name) DO NOTHING`,
    ),
    touchClientKey: db.prepare(
      'UPDATE client_keys SET last_used_at = @at WHERE name = @name AND (last_used_at IS NULL OR last_used_at < @at)',
    ),
    deleteClientKey: db.prepare('DELETE FROM client_keys WHERE name = ?'),
    getLease: db.prepare('SELECT owner, expires_at FROM leases WHERE name = ?'),
    putLease: db.prepare(
      `INSERT INTO leases (name, owner, expires_at) VALUES (@name, @owner, @expires_at)
       ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at`,
    ),
    releaseLease: db.prepare('DELETE FROM leases WHERE name = ? AND owner = ?'),
    appendChange: db.prepare('INSERT INTO changes (type, key, version, at) VALUES (?, ?, ?, ?)'),
    pruneChanges: db.prepare('DELETE FROM changes WHERE at < ?'),
    lastChange: db.prepare('SELECT MAX(id) AS id FROM changes'),
    changesSince: db.prepare('SELECT id, type, key, version FROM changes WHERE id > ? ORDER BY id LIMIT ?'),
  };
}

function changeKey(event: RecordEvent): [string, number] {
  switch (event.type) {
    case 'principal':
      return [event.id, 0];
    case 'credential':
      return [event.key, event.version];
    case 'client-key':
      return [event.name, 0];
  }
}

function eventFromChange(row: ChangeRow): RecordEvent | null {
  switch (row.type) {
    case 'principal':
    // Written by wxtoken 0.1.0 to the same feed before the file was upgraded: an app is a principal.
    case 'app':
      return { type: 'principal', id: row.key };
    case 'credential':
      return { type: 'credential', key: row.key, version: row.version };
    case 'client-key':
      return { type: 'client-key', name: row.key };
    default:
      // A change type from a newer wxtoken sharing the file: not ours to interpret.
      return null;
  }
}

function positive(option: string, value: number): number {
  return positiveOption(`SQLite store option ${option}`, value, ' of milliseconds');
}
