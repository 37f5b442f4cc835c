import type { ClientKeyRecord, CredentialRecord, ForceLog, Grant, RefreshFailure } from './store.js';

/**
 * The pieces of records every backend stores as JSON (a credential's failure and force log, a client key's apps;
 * the whole record in Redis), with the type guards that turn what a backend returns back into records.
 *
 * A value that does not fit is reported through the caller's `malformed`, which names the record (and, where the
 * backend has columns, the column) but never the value: it may hold a token or a sealed secret.
 */

/** Builds the error for a stored value that does not fit its record. */
export type Malformed = () => Error;

/** Whether `value` is a plain JSON object. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether `value` is a Grant. */
export function isGrant(value: unknown): value is Grant {
  return value === 'stable' || value === 'classic';
}

/** Parses stored JSON text. */
export function parseJson(text: string, malformed: Malformed): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Not chained as the cause: V8's JSON.parse messages quote the text.
    throw malformed();
  }
}

/** A RefreshFailure with exactly its own fields (optional ones only when set), as stored. */
export function failureFields(f: RefreshFailure): RefreshFailure {
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

/** A ForceLog with exactly its own fields, as stored. */
export function forceLogFields(f: ForceLog): ForceLog {
  return { day: f.day, count: f.count, lastAt: f.lastAt };
}

/** The JSON documents of a credential's failure and force log, for the SQL stores' columns (null when absent). */
export function credentialDocuments(record: CredentialRecord): { failure: string | null; forceLog: string | null } {
  return {
    failure: record.failure === null ? null : JSON.stringify(failureFields(record.failure)),
    forceLog: record.forceLog === null ? null : JSON.stringify(forceLogFields(record.forceLog)),
  };
}

/** A stored failure back as a RefreshFailure; null or absent is "no failure". */
export function failureFrom(value: unknown, malformed: Malformed): RefreshFailure | null {
  if (value === null || value === undefined) return null;
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
    throw malformed();
  }
  return failureFields(value as unknown as RefreshFailure);
}

/** A stored force log back as a ForceLog; null or absent is "none". */
export function forceLogFrom(value: unknown, malformed: Malformed): ForceLog | null {
  if (value === null || value === undefined) return null;
  if (!isObject(value) || typeof value.day !== 'string' || typeof value.count !== 'number' || typeof value.lastAt !== 'number') {
    throw malformed();
  }
  return forceLogFields(value as unknown as ForceLog);
}

/** A client key's stored `apps` back as the list of appids. */
export function appsFrom(value: unknown, malformed: Malformed): ClientKeyRecord['apps'] {
  if (!Array.isArray(value) || !value.every((a): a is string => typeof a === 'string')) throw malformed();
  return value;
}

/** Orders list results by appid or name, by UTF-16 code unit (locale-independent, like a binary collation). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
