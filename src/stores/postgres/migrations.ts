import pg from 'pg';
import { ConfigError } from '../../errors/index.js';
import { MIGRATION_TIMEOUT_MS, quoteIdent } from './options.js';

/** One schema change; `sql` receives the quoted schema name. Never edit a released migration: add one. */
interface Migration {
  readonly version: number;
  readonly name: string;
  sql(schema: string): string[];
}

/** Every migration, in order. A database at a higher version was written by a newer wxtoken. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial tables',
    sql: (s) => [
      `CREATE TABLE ${s}.wxtoken_apps (
         appid text PRIMARY KEY,
         grant_type text NOT NULL,
         sealed_secret text NOT NULL,
         created_at bigint NOT NULL,
         updated_at bigint NOT NULL
       )`,
      // version is the compare-and-set fence; failure and force_log are small JSON documents read whole.
      `CREATE TABLE ${s}.wxtoken_credentials (
         key text PRIMARY KEY,
         version bigint NOT NULL CHECK (version > 0),
         token text,
         expires_at bigint NOT NULL,
         obtained_at bigint NOT NULL,
         failure jsonb,
         force_log jsonb
       )`,
      `CREATE TABLE ${s}.wxtoken_client_keys (
         name text PRIMARY KEY,
         hash text NOT NULL,
         apps jsonb NOT NULL,
         created_at bigint NOT NULL
       )`,
      // Expiry is the server's timestamp, so instances with skewed clocks still agree on it.
      `CREATE TABLE ${s}.wxtoken_leases (
         name text PRIMARY KEY,
         owner text NOT NULL,
         expires_at timestamptz NOT NULL
       )`,
    ],
  },
  {
    version: 2,
    name: 'credential kinds: kind state, pending refresh, invalidation count',
    sql: (s) => [
      `ALTER TABLE ${s}.wxtoken_credentials
         ADD COLUMN state jsonb,
         ADD COLUMN pending jsonb,
         ADD COLUMN invalidations integer NOT NULL DEFAULT 0`,
      // The stable token's force log was the only kind state; it moves into the kind's document.
      `UPDATE ${s}.wxtoken_credentials SET state = jsonb_build_object('forceLog', force_log) WHERE force_log IS NOT NULL`,
      `ALTER TABLE ${s}.wxtoken_credentials DROP COLUMN force_log`,
    ],
  },
  {
    version: 3,
    name: 'key management: capabilities, expiry, last use',
    // NULL capabilities = every action, as for every key written before; NULL times = none.
    sql: (s) => [
      `ALTER TABLE ${s}.wxtoken_client_keys
         ADD COLUMN capabilities jsonb,
         ADD COLUMN expires_at bigint,
         ADD COLUMN last_used_at bigint`,
    ],
  },
  {
    version: 4,
    name: 'principals: apps become principals of type app',
    // The grant becomes an attribute and the sealed AppSecret the secret named `secret`, sealed under the same
    // context (the appid), so nothing is re-sealed.
    sql: (s) => [
      `CREATE TABLE ${s}.wxtoken_principals (
         id text PRIMARY KEY,
         type text NOT NULL,
         attributes jsonb NOT NULL,
         secrets jsonb NOT NULL,
         created_at bigint NOT NULL,
         updated_at bigint NOT NULL
       )`,
      `INSERT INTO ${s}.wxtoken_principals (id, type, attributes, secrets, created_at, updated_at)
         SELECT appid, 'app', jsonb_build_object('grant', grant_type), jsonb_build_object('secret', sealed_secret),
           created_at, updated_at
         FROM ${s}.wxtoken_apps`,
      `DROP TABLE ${s}.wxtoken_apps`,
    ],
  },
];

/** The version a fully migrated schema is at. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/**
 * Brings `schema` up to SCHEMA_VERSION, creating it if missing. Safe when several instances start at once: each
 * migrates inside one transaction holding a transaction-scoped advisory lock for the schema, so they take turns,
 * and whoever comes second finds the work done. DDL is transactional in PostgreSQL, so a failed migration leaves
 * nothing half-applied. Rejects with ConfigError when the schema is newer than this wxtoken.
 */
export async function migrate(config: pg.ClientConfig, schemaName: string): Promise<void> {
  const client = new pg.Client({ ...config, query_timeout: MIGRATION_TIMEOUT_MS });
  // Errors on an idle client would otherwise be thrown as unhandled 'error' events.
  client.on('error', () => {});
  const s = quoteIdent(schemaName);
  await client.connect();
  try {
    await client.query('BEGIN');
    try {
      await client.query(`SET LOCAL statement_timeout = ${MIGRATION_TIMEOUT_MS}`);
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`wxtoken:migrate:${schemaName}`]);
      // Checked first because CREATE SCHEMA IF NOT EXISTS demands the CREATE privilege even when the schema exists.
      const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schemaName]);
      if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${s}`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${s}.wxtoken_schema_migrations (
           version integer PRIMARY KEY,
           name text NOT NULL,
           applied_at timestamptz NOT NULL DEFAULT now()
         )`,
      );
      const applied = new Set(
        (await client.query<{ version: number }>(`SELECT version FROM ${s}.wxtoken_schema_migrations`)).rows.map((r) => r.version),
      );
      const newest = Math.max(0, ...applied);
      if (newest > SCHEMA_VERSION) {
        throw new ConfigError(
          `PostgreSQL schema ${schemaName} is at schema version ${newest}, newer than this wxtoken supports (${SCHEMA_VERSION}); upgrade wxtoken`,
        );
      }
      for (const migration of MIGRATIONS) {
        if (applied.has(migration.version)) continue;
        for (const statement of migration.sql(s)) await client.query(statement);
        await client.query(`INSERT INTO ${s}.wxtoken_schema_migrations (version, name) VALUES ($1, $2)`, [
          migration.version,
          migration.name,
        ]);
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    }
  } finally {
    await client.end().catch(() => {});
  }
}
