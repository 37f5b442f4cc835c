import type { Database } from 'better-sqlite3';
import { ConfigError } from '../../errors/index.js';
import { holdForProcessLifetime } from './process-lifetime.js';

/**
 * Schema migrations, in order: MIGRATIONS[i] moves a database from `PRAGMA user_version` i to i + 1. Append new
 * steps; never edit a released one, since databases in the field have already run it.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE apps (
    appid         TEXT PRIMARY KEY,
    grant_type    TEXT NOT NULL,
    sealed_secret TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
  );
  CREATE TABLE credentials (
    key         TEXT PRIMARY KEY,
    version     INTEGER NOT NULL,
    token       TEXT,
    expires_at  INTEGER NOT NULL,
    obtained_at INTEGER NOT NULL,
    failure     TEXT,
    force_log   TEXT
  );
  CREATE TABLE client_keys (
    name       TEXT PRIMARY KEY,
    hash       TEXT NOT NULL,
    apps       TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  );
  -- The change feed other processes poll. AUTOINCREMENT so ids are never reused after pruning, which lets a
  -- reader's "id > cursor" stay correct however far the table has been trimmed.
  CREATE TABLE changes (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    type    TEXT NOT NULL,
    key     TEXT NOT NULL,
    version INTEGER NOT NULL,
    at      INTEGER NOT NULL
  );
  CREATE INDEX changes_at ON changes (at);
  `,
  // 2 (credential kinds): a record keeps its kind's state as one JSON document (the stable token's force log moves
  // into it), the refresh in progress, and the count of invalidation-driven refreshes.
  `
  ALTER TABLE credentials ADD COLUMN state TEXT;
  ALTER TABLE credentials ADD COLUMN pending TEXT;
  ALTER TABLE credentials ADD COLUMN invalidations INTEGER NOT NULL DEFAULT 0;
  UPDATE credentials SET state = json_object('forceLog', json(force_log)) WHERE force_log IS NOT NULL;
  ALTER TABLE credentials DROP COLUMN force_log;
  `,
  // 3 (key management): a key's capabilities (NULL = every action, as for every 0.1.0 key), its expiry and its
  // last-used time (both NULL = none).
  `
  ALTER TABLE client_keys ADD COLUMN capabilities TEXT;
  ALTER TABLE client_keys ADD COLUMN expires_at INTEGER;
  ALTER TABLE client_keys ADD COLUMN last_used_at INTEGER;
  `,
  // 4 (principals): apps become principals of type 'app'; the grant is an attribute and the sealed AppSecret the
  // secret named `secret` (sealed under the same context, the appid, so nothing is re-sealed).
  `
  CREATE TABLE principals (
    id         TEXT PRIMARY KEY,
    type       TEXT NOT NULL,
    attributes TEXT NOT NULL,
    secrets    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  INSERT INTO principals (id, type, attributes, secrets, created_at, updated_at)
    SELECT appid, 'app', json_object('grant', grant_type), json_object('secret', sealed_secret), created_at, updated_at
    FROM apps;
  DROP TABLE apps;
  `,
];

/** The schema version this build writes (`PRAGMA user_version`). */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the database to SCHEMA_VERSION inside one IMMEDIATE transaction, so two processes opening a new file at
 * once cannot both run a migration. Refuses a database written by a newer wxtoken rather than guess at it.
 */
export function migrate(db: Database, path: string): void {
  db.transaction(() => {
    // A prepared statement kept for the process's life rather than pragma(), see process-lifetime.ts.
    const current = holdForProcessLifetime(db.prepare('PRAGMA user_version').pluck()).get() as number;
    if (current > SCHEMA_VERSION) {
      throw new ConfigError(
        `SQLite database ${path} has schema version ${current}, newer than this wxtoken supports (${SCHEMA_VERSION}); upgrade wxtoken`,
      );
    }
    for (let version = current; version < SCHEMA_VERSION; version++) db.exec(MIGRATIONS[version]!);
    // PRAGMA takes no bound parameters; SCHEMA_VERSION is a constant of this module, not input.
    if (current !== SCHEMA_VERSION) db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
