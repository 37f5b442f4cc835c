import { StoreUnavailableError } from '../../errors/index.js';
import type { AppRecord, ClientKeyRecord, CredentialRecord, ForceLog, RefreshFailure, StoreEvent } from '../store.js';

/**
 * Rows as pg returns them (bigint arrives as a string, jsonb already parsed) and the type guards that turn them
 * into records. A row that does not fit is reported as malformed, naming the row and column, never the value.
 */

/** A row of `wxtoken_apps`. */
export interface AppRow {
  appid: string;
  grant_type: string;
  sealed_secret: string;
  created_at: string;
  updated_at: string;
}

/** A row of `wxtoken_credentials`. */
export interface CredentialRow {
  key: string;
  version: string;
  token: string | null;
  expires_at: string;
  obtained_at: string;
  failure: unknown;
  force_log: unknown;
}

/** A row of `wxtoken_client_keys`. */
export interface ClientKeyRow {
  name: string;
  hash: string;
  apps: unknown;
  created_at: string;
}

/** Maps an apps row to its record. */
export function appFromRow(row: AppRow): AppRecord {
  if (row.grant_type !== 'stable' && row.grant_type !== 'classic') throw malformed('wxtoken_apps', row.appid, 'grant_type');
  return {
    appid: row.appid,
    grant: row.grant_type,
    sealedSecret: row.sealed_secret,
    createdAt: int('wxtoken_apps', row.appid, 'created_at', row.created_at),
    updatedAt: int('wxtoken_apps', row.appid, 'updated_at', row.updated_at),
  };
}

/** Maps a credentials row to its record. */
export function credentialFromRow(row: CredentialRow): CredentialRecord {
  const t = 'wxtoken_credentials';
  return {
    key: row.key,
    version: int(t, row.key, 'version', row.version),
    token: row.token,
    expiresAt: int(t, row.key, 'expires_at', row.expires_at),
    obtainedAt: int(t, row.key, 'obtained_at', row.obtained_at),
    failure: row.failure === null ? null : failureFrom(row.key, row.failure),
    forceLog: row.force_log === null ? null : forceLogFrom(row.key, row.force_log),
  };
}

/** The JSON documents of a credential write (undefined optional fields are dropped by JSON.stringify). */
export function credentialDocuments(record: CredentialRecord): { failure: string | null; forceLog: string | null } {
  return {
    failure: record.failure === null ? null : JSON.stringify(failureFields(record.failure)),
    forceLog:
      record.forceLog === null
        ? null
        : JSON.stringify({ day: record.forceLog.day, count: record.forceLog.count, lastAt: record.forceLog.lastAt }),
  };
}

/** Maps a client-keys row to its record. */
export function clientKeyFromRow(row: ClientKeyRow): ClientKeyRecord {
  if (!Array.isArray(row.apps) || !row.apps.every((a): a is string => typeof a === 'string')) {
    throw malformed('wxtoken_client_keys', row.name, 'apps');
  }
  return { name: row.name, hash: row.hash, apps: row.apps, createdAt: int('wxtoken_client_keys', row.name, 'created_at', row.created_at) };
}

/** A NOTIFY payload: the writing instance's id (so it can skip its own echo) and the event. */
export function encodeNotification(origin: string, event: StoreEvent): string {
  return JSON.stringify({ origin, event });
}

/** Parses a NOTIFY payload; null for anything it does not recognise (e.g. from a newer wxtoken). */
export function decodeNotification(text: string | undefined): { origin: string; event: StoreEvent } | null {
  let value: unknown;
  try {
    value = JSON.parse(text ?? '');
  } catch {
    return null;
  }
  if (!isObject(value) || typeof value.origin !== 'string' || !isObject(value.event)) return null;
  const e = value.event;
  if (e.type === 'app' && typeof e.appid === 'string') return { origin: value.origin, event: { type: 'app', appid: e.appid } };
  if (e.type === 'client-key' && typeof e.name === 'string') {
    return { origin: value.origin, event: { type: 'client-key', name: e.name } };
  }
  if (e.type === 'credential' && typeof e.key === 'string' && typeof e.version === 'number') {
    return { origin: value.origin, event: { type: 'credential', key: e.key, version: e.version } };
  }
  return null;
}

function failureFields(f: RefreshFailure): RefreshFailure {
  return {
    code: f.code,
    message: f.message,
    category: f.category,
    at: f.at,
    attempts: f.attempts,
    ...(f.errcode === undefined ? {} : { errcode: f.errcode }),
    ...(f.retryAt === undefined ? {} : { retryAt: f.retryAt }),
  };
}

function failureFrom(key: string, v: unknown): RefreshFailure {
  if (
    !isObject(v) ||
    typeof v.code !== 'string' ||
    typeof v.message !== 'string' ||
    typeof v.category !== 'string' ||
    typeof v.at !== 'number' ||
    typeof v.attempts !== 'number' ||
    (v.errcode !== undefined && typeof v.errcode !== 'number') ||
    (v.retryAt !== undefined && typeof v.retryAt !== 'number')
  ) {
    throw malformed('wxtoken_credentials', key, 'failure');
  }
  return failureFields(v as unknown as RefreshFailure);
}

function forceLogFrom(key: string, v: unknown): ForceLog {
  if (!isObject(v) || typeof v.day !== 'string' || typeof v.count !== 'number' || typeof v.lastAt !== 'number') {
    throw malformed('wxtoken_credentials', key, 'force_log');
  }
  return { day: v.day, count: v.count, lastAt: v.lastAt };
}

function int(table: string, id: string, column: string, value: string | number): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw malformed(table, id, column);
  return n;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function malformed(table: string, id: string, column: string): StoreUnavailableError {
  return new StoreUnavailableError(`PostgreSQL store: malformed ${column} in ${table} row ${JSON.stringify(id)}`);
}
