import { StoreUnavailableError } from '../../errors/index.js';
import type { AppRecord, ClientKeyRecord, CredentialRecord, ForceLog, RefreshFailure, StoreEvent } from '../store.js';

/**
 * The JSON forms of records as stored in Redis hash fields, and the type guards that turn what Redis returns back
 * into records. A value that does not parse is reported as a malformed record (naming the record, never its
 * contents, which may hold a token or a sealed secret).
 */

/** An AppRecord as stored. */
export function encodeApp(app: AppRecord): string {
  return JSON.stringify({
    appid: app.appid,
    grant: app.grant,
    sealedSecret: app.sealedSecret,
    createdAt: app.createdAt,
    updatedAt: app.updatedAt,
  });
}

/** Parses a stored AppRecord. */
export function decodeApp(text: string, id: string): AppRecord {
  const v = parse(text, 'app', id);
  if (
    typeof v.appid !== 'string' ||
    (v.grant !== 'stable' && v.grant !== 'classic') ||
    typeof v.sealedSecret !== 'string' ||
    typeof v.createdAt !== 'number' ||
    typeof v.updatedAt !== 'number'
  ) {
    throw malformed('app', id);
  }
  return { appid: v.appid, grant: v.grant, sealedSecret: v.sealedSecret, createdAt: v.createdAt, updatedAt: v.updatedAt };
}

/**
 * A CredentialRecord as stored, with the given version. `version` must stay a top-level number: the casCredential
 * script reads it.
 */
export function encodeCredential(record: CredentialRecord, version: number): string {
  return JSON.stringify({
    key: record.key,
    version,
    token: record.token,
    expiresAt: record.expiresAt,
    obtainedAt: record.obtainedAt,
    failure: record.failure === null ? null : failureFields(record.failure),
    forceLog: record.forceLog === null ? null : { day: record.forceLog.day, count: record.forceLog.count, lastAt: record.forceLog.lastAt },
  });
}

/** Parses a stored CredentialRecord. */
export function decodeCredential(text: string, id: string): CredentialRecord {
  const v = parse(text, 'credential', id);
  if (
    typeof v.key !== 'string' ||
    typeof v.version !== 'number' ||
    (v.token !== null && typeof v.token !== 'string') ||
    typeof v.expiresAt !== 'number' ||
    typeof v.obtainedAt !== 'number'
  ) {
    throw malformed('credential', id);
  }
  return {
    key: v.key,
    version: v.version,
    token: v.token,
    expiresAt: v.expiresAt,
    obtainedAt: v.obtainedAt,
    failure: v.failure === null || v.failure === undefined ? null : decodeFailure(v.failure, id),
    forceLog: v.forceLog === null || v.forceLog === undefined ? null : decodeForceLog(v.forceLog, id),
  };
}

/** A ClientKeyRecord as stored. */
export function encodeClientKey(key: ClientKeyRecord): string {
  return JSON.stringify({ name: key.name, hash: key.hash, apps: [...key.apps], createdAt: key.createdAt });
}

/** Parses a stored ClientKeyRecord. */
export function decodeClientKey(text: string, id: string): ClientKeyRecord {
  const v = parse(text, 'client key', id);
  if (
    typeof v.name !== 'string' ||
    typeof v.hash !== 'string' ||
    !Array.isArray(v.apps) ||
    !v.apps.every((a): a is string => typeof a === 'string') ||
    typeof v.createdAt !== 'number'
  ) {
    throw malformed('client key', id);
  }
  return { name: v.name, hash: v.hash, apps: v.apps, createdAt: v.createdAt };
}

/** A published event: the writing instance's id (so it can skip its own echo) and the event. */
export function encodeMessage(origin: string, event: StoreEvent): string {
  return JSON.stringify({ origin, event });
}

/** Parses a published message; null for anything it does not recognise (e.g. from a newer wxtoken). */
export function decodeMessage(text: string): { origin: string; event: StoreEvent } | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
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

function decodeFailure(v: unknown, id: string): RefreshFailure {
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
    throw malformed('credential', id);
  }
  return failureFields(v as unknown as RefreshFailure);
}

function decodeForceLog(v: unknown, id: string): ForceLog {
  if (!isObject(v) || typeof v.day !== 'string' || typeof v.count !== 'number' || typeof v.lastAt !== 'number') {
    throw malformed('credential', id);
  }
  return { day: v.day, count: v.count, lastAt: v.lastAt };
}

function parse(text: string, kind: string, id: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // Not chained as the cause: V8's JSON.parse messages quote the text.
    throw malformed(kind, id);
  }
  if (!isObject(value)) throw malformed(kind, id);
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function malformed(kind: string, id: string): StoreUnavailableError {
  return new StoreUnavailableError(`Redis store: malformed ${kind} record ${JSON.stringify(id)}`);
}
