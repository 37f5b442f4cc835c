import { StoreUnavailableError } from '../../errors/index.js';
import type { AppRecord, ClientKeyRecord, CredentialRecord, ForceLog, Grant, RefreshFailure } from '../store.js';

/** A row of `apps` as better-sqlite3 returns it. */
export interface AppRow {
  appid: string;
  grant_type: string;
  sealed_secret: string;
  created_at: number;
  updated_at: number;
}

/** A row of `credentials`. */
export interface CredentialRow {
  key: string;
  version: number;
  token: string | null;
  expires_at: number;
  obtained_at: number;
  failure: string | null;
  force_log: string | null;
}

/** A row of `client_keys`. */
export interface ClientKeyRow {
  name: string;
  hash: string;
  apps: string;
  created_at: number;
}

/** Maps an `apps` row to its record. */
export function appFromRow(row: AppRow): AppRecord {
  if (row.grant_type !== 'stable' && row.grant_type !== 'classic') throw corrupt('apps', row.appid, 'grant_type');
  return {
    appid: row.appid,
    grant: row.grant_type satisfies Grant,
    sealedSecret: row.sealed_secret,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Maps a `credentials` row to its record. */
export function credentialFromRow(row: CredentialRow): CredentialRecord {
  return {
    key: row.key,
    version: row.version,
    token: row.token,
    expiresAt: row.expires_at,
    obtainedAt: row.obtained_at,
    failure: row.failure === null ? null : parseFailure(row.key, row.failure),
    forceLog: row.force_log === null ? null : parseForceLog(row.key, row.force_log),
  };
}

/** The bound parameters of a credential write (named to match the statements in sqlite-store.ts). */
export function credentialParams(record: CredentialRecord, version: number): Record<string, string | number | null> {
  return {
    key: record.key,
    version,
    token: record.token,
    expires_at: record.expiresAt,
    obtained_at: record.obtainedAt,
    failure: record.failure === null ? null : JSON.stringify(record.failure),
    force_log: record.forceLog === null ? null : JSON.stringify(record.forceLog),
  };
}

/** Maps a `client_keys` row to its record. */
export function clientKeyFromRow(row: ClientKeyRow): ClientKeyRecord {
  const apps = parseJson('client_keys', row.name, 'apps', row.apps);
  if (!Array.isArray(apps) || !apps.every((a) => typeof a === 'string')) throw corrupt('client_keys', row.name, 'apps');
  return { name: row.name, hash: row.hash, apps, createdAt: row.created_at };
}

function parseFailure(key: string, text: string): RefreshFailure {
  const value = parseJson('credentials', key, 'failure', text);
  if (
    !isObject(value) ||
    typeof value.code !== 'string' ||
    typeof value.message !== 'string' ||
    typeof value.category !== 'string' ||
    typeof value.at !== 'number' ||
    typeof value.attempts !== 'number' ||
    (value.errcode !== undefined && typeof value.errcode !== 'number') ||
    (value.retryAt !== undefined && typeof value.retryAt !== 'number')
  ) {
    throw corrupt('credentials', key, 'failure');
  }
  const failure: RefreshFailure = {
    code: value.code,
    message: value.message,
    category: value.category,
    at: value.at,
    attempts: value.attempts,
    ...(value.errcode === undefined ? {} : { errcode: value.errcode }),
    ...(value.retryAt === undefined ? {} : { retryAt: value.retryAt }),
  };
  return failure;
}

function parseForceLog(key: string, text: string): ForceLog {
  const value = parseJson('credentials', key, 'force_log', text);
  if (!isObject(value) || typeof value.day !== 'string' || typeof value.count !== 'number' || typeof value.lastAt !== 'number') {
    throw corrupt('credentials', key, 'force_log');
  }
  return { day: value.day, count: value.count, lastAt: value.lastAt };
}

function parseJson(table: string, id: string, column: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Not chained as the cause: V8's JSON.parse messages quote the text.
    throw corrupt(table, id, column);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function corrupt(table: string, id: string, column: string): StoreUnavailableError {
  // Names the row and column only, never the value.
  return new StoreUnavailableError(`SQLite store: malformed ${column} in ${table} row ${JSON.stringify(id)}`);
}
