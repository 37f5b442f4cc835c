/**
 * The PostgreSQL Store (pg), for running several hub instances against one database.
 *
 * Tables `wxtoken_principals`, `wxtoken_credentials`, `wxtoken_client_keys`, `wxtoken_leases` and
 * `wxtoken_schema_migrations` live in one schema (option `schema`, default `public`), created by the versioned
 * migrations of migrations.ts at start-up. Each write is ONE statement: a data-modifying CTE followed by
 * `SELECT pg_notify(...) FROM written`, so the write and its notification commit together (PostgreSQL delivers
 * notifications at commit) and a write that did not happen notifies nobody. All values are bound parameters;
 * the only interpolated identifier is the validated, quoted schema name.
 *
 * - Credential compare-and-set: `UPDATE ... WHERE key = $1 AND version = $expected`, or for a first write
 *   `INSERT ... ON CONFLICT DO NOTHING`. Under READ COMMITTED a concurrent writer waits for the row lock and then
 *   re-checks the version against the committed row, so exactly one of them wins.
 * - Leases: `INSERT ... ON CONFLICT DO UPDATE ... WHERE expired OR same owner`, expiry judged by the server's
 *   `now()`, atomic on the row.
 * - Events: NOTIFY on channel `wxtoken_<schema>` with {"origin": <instance id>, "event": RecordEvent}; a dedicated
 *   LISTEN connection (listener.ts) delivers other instances' writes, re-opening itself after an outage. Own
 *   writes are delivered directly when they succeed and their echo skipped by origin. Notifications sent while
 *   the LISTEN connection is down are lost; readers converge by re-reading the store (the hub's periodic resync).
 *
 * Outages: statements time out (server and client side) and connections fail fast, so every method rejects with
 * StoreUnavailableError within about a second while the server is down; the pool opens new connections when it
 * returns, so the store recovers without being recreated.
 */
import pg from 'pg';
import { StoreUnavailableError } from '../../errors/index.js';
import { assertExpectedVersion, assertTtl } from '../arguments.js';
import { EventRelay } from '../events.js';
import { OutageReport, storeUnavailable } from '../outage.js';
import { credentialDocuments } from '../records.js';
import type { ClientKeyRecord, CredentialRecord, PrincipalFilter, PrincipalRecord, RecordEvent, Store, StoreListener } from '../store.js';
import { ChannelListener } from './listener.js';
import { migrate } from './migrations.js';
import { quoteIdent, resolvePostgresOptions, type PostgresStoreOptions, type ResolvedPostgresOptions } from './options.js';
import { clientKeyFromRow, credentialFromRow, principalFromRow, type ClientKeyRow, type CredentialRow, type PrincipalRow } from './rows.js';

/** A Store on PostgreSQL; see the module comment for the schema and the delivery guarantees. */
export class PostgresStore implements Store {
  readonly description: string;
  readonly #pool: pg.Pool;
  readonly #resolved: ResolvedPostgresOptions;
  readonly #sql: ReturnType<typeof statements>;
  readonly #listeners = new EventRelay();
  readonly #outage: OutageReport;
  #listener: ChannelListener | undefined;
  #listening: Promise<void> | undefined;
  #closed = false;

  /** Wraps a pool made by createPostgresStore (schema already migrated). */
  constructor(pool: pg.Pool, resolved: ResolvedPostgresOptions) {
    this.description = resolved.description;
    this.#pool = pool;
    this.#resolved = resolved;
    this.#sql = statements(quoteIdent(resolved.schema));
    this.#outage = new OutageReport('PostgreSQL', this.description, resolved.logger);
    // An idle pooled connection that dies emits 'error' on the pool; unhandled, it would crash the process.
    pool.on('error', (error) => this.#outage.down(error));
  }

  async listPrincipals(filter?: PrincipalFilter): Promise<PrincipalRecord[]> {
    const rows = !filter
      ? await this.#query<PrincipalRow>('list principals', this.#sql.listPrincipals, [])
      : 'ids' in filter
        ? await this.#query<PrincipalRow>('list principals', this.#sql.listPrincipalsById, [filter.ids])
        : await this.#query<PrincipalRow>('list principals', this.#sql.listPrincipalsByType, [filter.types]);
    return rows.map(principalFromRow);
  }

  async getPrincipal(id: string): Promise<PrincipalRecord | null> {
    const [row] = await this.#query<PrincipalRow>('read principal', this.#sql.getPrincipal, [id]);
    return row ? principalFromRow(row) : null;
  }

  async putPrincipal(principal: PrincipalRecord, ifUnchanged?: PrincipalRecord | null): Promise<boolean> {
    const event: RecordEvent = { type: 'principal', id: principal.id };
    const values = [principal.id, principal.type, JSON.stringify(principal.attributes), JSON.stringify(principal.secrets), principal.createdAt, principal.updatedAt];
    if (ifUnchanged === undefined) return this.#write('write principal', this.#sql.putPrincipal, values, event);
    if (ifUnchanged === null) return this.#write('write principal', this.#sql.insertPrincipal, values, event);
    return this.#write('write principal', this.#sql.updatePrincipal, [...values, ifUnchanged.updatedAt], event);
  }

  async deletePrincipal(id: string, ifUnchanged?: PrincipalRecord): Promise<boolean> {
    const event: RecordEvent = { type: 'principal', id };
    if (ifUnchanged === undefined) return this.#write('delete principal', this.#sql.deletePrincipal, [id, `${id}:`], event);
    return this.#write('delete principal', this.#sql.deletePrincipalIf, [id, `${id}:`, ifUnchanged.updatedAt], event);
  }

  async getCredential(key: string): Promise<CredentialRecord | null> {
    const [row] = await this.#query<CredentialRow>('read credential', this.#sql.getCredential, [key]);
    return row ? credentialFromRow(row) : null;
  }

  async listCredentials(keys?: readonly string[]): Promise<CredentialRecord[]> {
    const rows = keys
      ? await this.#query<CredentialRow>('list credentials', this.#sql.listCredentialsByKey, [keys])
      : await this.#query<CredentialRow>('list credentials', this.#sql.listCredentials, []);
    return rows.map(credentialFromRow);
  }

  async listCredentialKeys(): Promise<string[]> {
    const rows = await this.#query<{ key: string }>('list credentials', this.#sql.listCredentialKeys, []);
    return rows.map((row) => row.key);
  }

  async putCredential(record: CredentialRecord, expectedVersion: number): Promise<boolean> {
    assertExpectedVersion(expectedVersion);
    const version = expectedVersion + 1;
    const { failure, state, pending } = credentialDocuments(record);
    const values = [record.key, version, record.token, record.expiresAt, record.obtainedAt, failure, state, pending, record.invalidations];
    const event: RecordEvent = { type: 'credential', key: record.key, version };
    return expectedVersion === 0
      ? this.#write('write credential', this.#sql.insertCredential, values, event)
      : this.#write('write credential', this.#sql.updateCredential, [...values, expectedVersion], event);
  }

  async listClientKeys(): Promise<ClientKeyRecord[]> {
    const rows = await this.#query<ClientKeyRow>('list client keys', this.#sql.listClientKeys, []);
    return rows.map(clientKeyFromRow);
  }

  async addClientKey(key: ClientKeyRecord): Promise<boolean> {
    const values = [
      key.name,
      key.hash,
      JSON.stringify([...key.apps]),
      key.createdAt,
      key.capabilities === null ? null : JSON.stringify([...key.capabilities]),
      key.expiresAt,
      key.lastUsedAt,
    ];
    return this.#write('add client key', this.#sql.addClientKey, values, { type: 'client-key', name: key.name });
  }

  async deleteClientKey(name: string): Promise<boolean> {
    return this.#write('delete client key', this.#sql.deleteClientKey, [name], { type: 'client-key', name });
  }

  async touchClientKey(name: string, at: number): Promise<void> {
    // No NOTIFY: a last-used time is read when listed, never pushed to instances.
    await this.#query('record client key use', this.#sql.touchClientKey, [name, at]);
  }

  async acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    assertTtl(ttlMs);
    const rows = await this.#query('acquire lease', this.#sql.acquireLease, [name, owner, ttlMs]);
    return rows.length === 1;
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    await this.#query('release lease', this.#sql.releaseLease, [name, owner]);
  }

  async subscribe(listener: StoreListener): Promise<() => Promise<void>> {
    this.#assertOpen();
    await this.#ensureListening();
    const remove = this.#listeners.add(listener);
    // The LISTEN connection stays open after the last unsubscribe: one idle connection, and the next subscriber
    // is spared a round trip.
    return async () => remove();
  }

  /** The server's clock (clock_timestamp()), in epoch ms. */
  async time(): Promise<number> {
    const [row] = await this.#query<{ ms: number }>('read time', this.#sql.time, []);
    return row!.ms;
  }

  async ping(): Promise<void> {
    await this.#query('ping', 'SELECT 1', []);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    await this.#listening?.catch(() => {});
    await this.#listener?.stop();
    await this.#pool.end().catch(() => {});
  }

  /** Opens the LISTEN connection once; concurrent first subscribers share the attempt. */
  async #ensureListening(): Promise<void> {
    if (this.#listener) return;
    this.#listening ??= (async () => {
      let interrupted = false;
      const listener = new ChannelListener(this.#resolved.client, this.#resolved.channel, this.#resolved.maxReconnectDelayMs, {
        notification: (payload) => {
          if (!this.#closed) this.#listeners.receive(payload);
        },
        lost: (error) => {
          interrupted = true;
          this.#outage.down(error);
        },
        listening: () => {
          this.#outage.up();
          // Notifications sent while the connection was down are gone: subscribers must re-read.
          if (interrupted && !this.#closed) this.#listeners.emit({ type: 'resync' });
          interrupted = false;
        },
      });
      try {
        await listener.start();
      } catch (error) {
        await listener.stop();
        this.#outage.down(error);
        throw this.#outage.wrap('subscribe', error);
      }
      if (this.#closed) {
        await listener.stop();
        throw this.#outage.wrap('subscribe', new Error('closed while subscribing'));
      }
      this.#listener = listener;
    })().finally(() => {
      this.#listening = undefined;
    });
    await this.#listening;
  }

  /** Runs a write statement ending in `SELECT pg_notify($n-1, $n) FROM written`; delivers `event` if it wrote. */
  async #write(operation: string, text: string, values: unknown[], event: RecordEvent): Promise<boolean> {
    const rows = await this.#query(operation, text, [...values, this.#resolved.channel, this.#listeners.message(event)]);
    if (rows.length === 0) return false;
    this.#listeners.emit(event);
    return true;
  }

  async #query<R extends object>(operation: string, text: string, values: unknown[]): Promise<R[]> {
    this.#assertOpen();
    const result = await this.#outage.call(operation, () => this.#pool.query<R>(text, values));
    return result.rows;
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreUnavailableError(`PostgreSQL store ${this.description} is closed`);
  }
}

/**
 * Connects to the PostgreSQL at `url` (`postgres://user[:pass]@host:port/db[?schema=...]`, or `postgresql://`) and
 * brings the schema up to date. Rejects with ConfigError for a bad URL or option or a schema from a newer wxtoken,
 * StoreUnavailableError when the server cannot be reached.
 */
export async function createPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<Store> {
  const resolved = resolvePostgresOptions(url, options);
  try {
    await migrate(resolved.client, resolved.schema);
  } catch (error) {
    throw storeUnavailable(`PostgreSQL store ${resolved.description}: cannot open`, error);
  }
  return new PostgresStore(new pg.Pool(resolved.pool), resolved);
}

/** The statements of a store in schema `s` (already quoted). Every value is a bound parameter. */
function statements(s: string) {
  // The last two parameters of every write are the NOTIFY channel and payload.
  const notify = (channel: number): string => `SELECT pg_notify($${channel}, $${channel + 1}) FROM written`;
  const principalColumns = 'id, type, attributes, secrets, created_at::text AS created_at, updated_at::text AS updated_at';
  const credentialColumns = 'key, version::text AS version, token, expires_at::text AS expires_at, obtained_at::text AS obtained_at, failure, state, pending, invalidations';
  return {
    // COLLATE "C": the same order as the other stores (by code unit), whatever the database's locale.
    listPrincipals: `SELECT ${principalColumns} FROM ${s}.wxtoken_principals ORDER BY id COLLATE "C"`,
    listPrincipalsById: `SELECT ${principalColumns} FROM ${s}.wxtoken_principals WHERE id = ANY($1::text[]) ORDER BY id COLLATE "C"`,
    listPrincipalsByType: `SELECT ${principalColumns} FROM ${s}.wxtoken_principals WHERE type = ANY($1::text[]) ORDER BY id COLLATE "C"`,
    getPrincipal: `SELECT ${principalColumns} FROM ${s}.wxtoken_principals WHERE id = $1`,
    putPrincipal: `WITH written AS (
        INSERT INTO ${s}.wxtoken_principals (id, type, attributes, secrets, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (id) DO UPDATE SET type = EXCLUDED.type, attributes = EXCLUDED.attributes,
          secrets = EXCLUDED.secrets, created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at
        RETURNING 1)
      ${notify(7)}`,
    insertPrincipal: `WITH written AS (
        INSERT INTO ${s}.wxtoken_principals (id, type, attributes, secrets, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (id) DO NOTHING
        RETURNING 1)
      ${notify(7)}`,
    updatePrincipal: `WITH written AS (
        UPDATE ${s}.wxtoken_principals SET type = $2, attributes = $3, secrets = $4, created_at = $5, updated_at = $6
        WHERE id = $1 AND updated_at = $7
        RETURNING 1)
      ${notify(8)}`,
    // Data-modifying CTEs always run to completion, so orphaned credentials go even when the principal is already
    // gone; starts_with compares plainly (ids may hold LIKE wildcards) and ignores collation.
    deletePrincipal: `WITH written AS (DELETE FROM ${s}.wxtoken_principals WHERE id = $1 RETURNING 1),
        orphans AS (DELETE FROM ${s}.wxtoken_credentials WHERE starts_with(key, $2) RETURNING 1)
      ${notify(3)}`,
    // The conditional form: the credentials go only with the principal.
    deletePrincipalIf: `WITH written AS (DELETE FROM ${s}.wxtoken_principals WHERE id = $1 AND updated_at = $3 RETURNING 1),
        orphans AS (DELETE FROM ${s}.wxtoken_credentials WHERE starts_with(key, $2) AND EXISTS (SELECT 1 FROM written) RETURNING 1)
      ${notify(4)}`,
    getCredential: `SELECT ${credentialColumns} FROM ${s}.wxtoken_credentials WHERE key = $1`,
    // COLLATE "C": the same order as the other stores (by code unit), whatever the database's locale.
    listCredentialKeys: `SELECT key FROM ${s}.wxtoken_credentials ORDER BY key COLLATE "C"`,
    listCredentials: `SELECT ${credentialColumns} FROM ${s}.wxtoken_credentials ORDER BY key COLLATE "C"`,
    listCredentialsByKey: `SELECT ${credentialColumns} FROM ${s}.wxtoken_credentials WHERE key = ANY($1::text[]) ORDER BY key COLLATE "C"`,
    insertCredential: `WITH written AS (
        INSERT INTO ${s}.wxtoken_credentials (key, version, token, expires_at, obtained_at, failure, state, pending, invalidations)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        ON CONFLICT (key) DO NOTHING
        RETURNING 1)
      ${notify(10)}`,
    updateCredential: `WITH written AS (
        UPDATE ${s}.wxtoken_credentials
        SET version = $2, token = $3, expires_at = $4, obtained_at = $5, failure = $6, state = $7, pending = $8,
          invalidations = $9
        WHERE key = $1 AND version = $10
        RETURNING 1)
      ${notify(11)}`,
    listClientKeys: `SELECT * FROM ${s}.wxtoken_client_keys ORDER BY name`,
    addClientKey: `WITH written AS (
        INSERT INTO ${s}.wxtoken_client_keys (name, hash, apps, created_at, capabilities, expires_at, last_used_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (name) DO NOTHING
        RETURNING 1)
      ${notify(8)}`,
    touchClientKey: `UPDATE ${s}.wxtoken_client_keys SET last_used_at = $2
      WHERE name = $1 AND (last_used_at IS NULL OR last_used_at < $2)`,
    deleteClientKey: `WITH written AS (DELETE FROM ${s}.wxtoken_client_keys WHERE name = $1 RETURNING 1)
      ${notify(2)}`,
    acquireLease: `INSERT INTO ${s}.wxtoken_leases AS held (name, owner, expires_at)
      VALUES ($1, $2, now() + $3::float8 * interval '1 millisecond')
      ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
      WHERE held.expires_at <= now() OR held.owner = EXCLUDED.owner
      RETURNING 1`,
    releaseLease: `DELETE FROM ${s}.wxtoken_leases WHERE name = $1 AND owner = $2`,
    time: `SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::float8 AS ms`,
  };
}
