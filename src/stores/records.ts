import type { ClientKeyRecord, CredentialRecord, Grant, KindState, PendingRefresh, PrincipalAttributes, PrincipalRecord, PrincipalType, RefreshFailure, SealedSecrets } from './store.js';

/**
 * The pieces of records every backend stores as JSON (a principal's attributes and secrets, a credential's failure,
 * kind state and pending refresh, a client key's apps; the whole record in Redis), with the type guards that turn what a backend returns back into records.
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

const PRINCIPAL_TYPES: ReadonlySet<string> = new Set<PrincipalType>(['app', 'wecom_agent', 'component', 'authorizer']);

/** Whether `value` is a PrincipalType. */
export function isPrincipalType(value: unknown): value is PrincipalType {
  return typeof value === 'string' && PRINCIPAL_TYPES.has(value);
}

/** A principal's stored attributes: a flat object of strings, numbers and booleans. */
export function attributesFrom(value: unknown, malformed: Malformed): PrincipalAttributes {
  if (!isObject(value)) throw malformed();
  for (const v of Object.values(value)) {
    if (typeof v !== 'string' && typeof v !== 'boolean' && !(typeof v === 'number' && Number.isFinite(v))) throw malformed();
  }
  return value as PrincipalAttributes;
}

/** A principal's stored sealed secrets: a flat object of strings. */
export function secretsFrom(value: unknown, malformed: Malformed): SealedSecrets {
  if (!isObject(value) || !Object.values(value).every((v) => typeof v === 'string')) throw malformed();
  return value as SealedSecrets;
}

/** A whole stored principal (Redis keeps each as one JSON document) back as a PrincipalRecord. */
export function principalFrom(value: unknown, malformed: Malformed): PrincipalRecord {
  if (!isObject(value) || typeof value.id !== 'string' || !isPrincipalType(value.type)) throw malformed();
  if (typeof value.createdAt !== 'number' || typeof value.updatedAt !== 'number') throw malformed();
  return {
    id: value.id,
    type: value.type,
    attributes: attributesFrom(value.attributes, malformed),
    secrets: secretsFrom(value.secrets, malformed),
    createdAt: value.createdAt,
    updatedAt: value.updatedAt,
  };
}

/** A PrincipalRecord with exactly its own fields, as stored. */
export function principalFields(p: PrincipalRecord): PrincipalRecord {
  return { id: p.id, type: p.type, attributes: { ...p.attributes }, secrets: { ...p.secrets }, createdAt: p.createdAt, updatedAt: p.updatedAt };
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

/** A PendingRefresh with exactly its own fields, as stored. */
export function pendingFields(p: PendingRefresh): PendingRefresh {
  return { owner: p.owner, since: p.since };
}

/** The JSON documents of a credential's failure, kind state and pending refresh, for the SQL stores' columns. */
export function credentialDocuments(record: CredentialRecord): { failure: string | null; state: string | null; pending: string | null } {
  return {
    failure: record.failure === null ? null : JSON.stringify(failureFields(record.failure)),
    state: record.state === null ? null : JSON.stringify(record.state),
    pending: record.pending === null ? null : JSON.stringify(pendingFields(record.pending)),
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

/** A stored kind state back as a JSON object; null or absent is "none". */
export function stateFrom(value: unknown, malformed: Malformed): KindState | null {
  if (value === null || value === undefined) return null;
  if (!isObject(value)) throw malformed();
  return value;
}

/** A stored pending refresh back as a PendingRefresh; null or absent is "none". */
export function pendingFrom(value: unknown, malformed: Malformed): PendingRefresh | null {
  if (value === null || value === undefined) return null;
  if (!isObject(value) || typeof value.owner !== 'string' || typeof value.since !== 'number') throw malformed();
  return pendingFields(value as unknown as PendingRefresh);
}

/** A stored invalidation count; absent (a record written before the count existed) is 0. */
export function invalidationsFrom(value: unknown, malformed: Malformed): number {
  if (value === null || value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw malformed();
  return value;
}

/**
 * The kind state of a record written by wxtoken 0.1.0, whose only kind state was the stable token's force log,
 * kept in a column (field) of its own.
 */
export function stateFromForceLog(forceLog: unknown, malformed: Malformed): KindState | null {
  if (forceLog === null || forceLog === undefined) return null;
  if (!isObject(forceLog)) throw malformed();
  return { forceLog };
}

/** A client key's stored `apps` back as the list of appids. */
export function appsFrom(value: unknown, malformed: Malformed): ClientKeyRecord['apps'] {
  if (!Array.isArray(value) || !value.every((a): a is string => typeof a === 'string')) throw malformed();
  return value;
}

/** A client key's stored capabilities: null or absent (0.1.0 records) is null, "every action". */
export function capabilitiesFrom(value: unknown, malformed: Malformed): ClientKeyRecord['capabilities'] {
  if (value === null || value === undefined) return null;
  if (!Array.isArray(value) || !value.every((a): a is string => typeof a === 'string')) throw malformed();
  return value;
}

/** An optional stored time (epoch ms): null or absent is null. */
export function optionalTimeFrom(value: unknown, malformed: Malformed): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw malformed();
  return value;
}

/** Orders list results by id or name, by UTF-16 code unit (locale-independent, like a binary collation). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
