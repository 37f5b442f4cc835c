import { StoreUnavailableError } from '../../errors/index.js';
import {
  appsFrom,
  capabilitiesFrom,
  failureFields,
  failureFrom,
  invalidationsFrom,
  isGrant,
  isObject,
  optionalTimeFrom,
  parseJson,
  pendingFields,
  pendingFrom,
  principalFields,
  principalFrom,
  stateFrom,
  stateFromForceLog,
  type Malformed,
} from '../records.js';
import type { ClientKeyRecord, CredentialRecord, PrincipalRecord } from '../store.js';

/**
 * The JSON forms of records as stored in Redis hash fields, and the type guards that turn what Redis returns back
 * into records. A value that does not parse is reported as a malformed record (naming the record, never its
 * contents, which may hold a token or a sealed secret).
 */

/** A PrincipalRecord as stored. */
export function encodePrincipal(principal: PrincipalRecord): string {
  return JSON.stringify(principalFields(principal));
}

/** Parses a stored PrincipalRecord. */
export function decodePrincipal(text: string, id: string): PrincipalRecord {
  const bad = malformed('principal', id);
  return principalFrom(parse(text, bad), bad);
}

/**
 * An app as wxtoken 0.1.0 stored it (in the `apps` hash, which the store migrates on connecting) as the principal
 * it is now; null when the value does not parse, which the migration then leaves where it is.
 */
export function principalFromLegacyApp(text: string, appid: string): PrincipalRecord | null {
  let v: Record<string, unknown>;
  try {
    v = parse(text, malformed('app', appid));
  } catch {
    return null;
  }
  if (!isGrant(v.grant) || typeof v.sealedSecret !== 'string' || typeof v.createdAt !== 'number' || typeof v.updatedAt !== 'number') return null;
  return { id: appid, type: 'app', attributes: { grant: v.grant }, secrets: { secret: v.sealedSecret }, createdAt: v.createdAt, updatedAt: v.updatedAt };
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
    state: record.state,
    pending: record.pending === null ? null : pendingFields(record.pending),
    invalidations: record.invalidations,
  });
}

/**
 * Parses a stored CredentialRecord. A record written by wxtoken 0.1.0 (a `forceLog` field, no `state`) reads as
 * the same record in today's shape, and is written back in that shape on its next update.
 */
export function decodeCredential(text: string, id: string): CredentialRecord {
  const bad = malformed('credential', id);
  const v = parse(text, bad);
  if (
    typeof v.key !== 'string' ||
    typeof v.version !== 'number' ||
    (v.token !== null && typeof v.token !== 'string') ||
    typeof v.expiresAt !== 'number' ||
    typeof v.obtainedAt !== 'number'
  ) {
    throw bad();
  }
  return {
    key: v.key,
    version: v.version,
    token: v.token,
    expiresAt: v.expiresAt,
    obtainedAt: v.obtainedAt,
    failure: failureFrom(v.failure, bad),
    state: 'state' in v ? stateFrom(v.state, bad) : stateFromForceLog(v.forceLog, bad),
    pending: pendingFrom(v.pending, bad),
    invalidations: invalidationsFrom(v.invalidations, bad),
  };
}

/** A ClientKeyRecord as stored; its last-used time lives in a hash of its own (see redis-store.ts). */
export function encodeClientKey(key: ClientKeyRecord): string {
  return JSON.stringify({
    name: key.name,
    hash: key.hash,
    apps: [...key.apps],
    createdAt: key.createdAt,
    capabilities: key.capabilities === null ? null : [...key.capabilities],
    expiresAt: key.expiresAt,
  });
}

/**
 * Parses a stored ClientKeyRecord and its last-used time (`used`, the decimal text of its field, if any). A
 * record written by wxtoken 0.1.0 (no capabilities, no expiry) reads as an unrestricted key that never expires.
 */
export function decodeClientKey(text: string, id: string, used?: string): ClientKeyRecord {
  const bad = malformed('client key', id);
  const v = parse(text, bad);
  if (typeof v.name !== 'string' || typeof v.hash !== 'string' || typeof v.createdAt !== 'number') throw bad();
  const lastUsedAt = used === undefined ? null : Number(used);
  if (lastUsedAt !== null && !Number.isFinite(lastUsedAt)) throw bad();
  return {
    name: v.name,
    hash: v.hash,
    apps: appsFrom(v.apps, bad),
    createdAt: v.createdAt,
    capabilities: capabilitiesFrom(v.capabilities, bad),
    expiresAt: optionalTimeFrom(v.expiresAt, bad),
    lastUsedAt,
  };
}

function parse(text: string, bad: Malformed): Record<string, unknown> {
  const value = parseJson(text, bad);
  if (!isObject(value)) throw bad();
  return value;
}

function malformed(kind: string, id: string): Malformed {
  return () => new StoreUnavailableError(`Redis store: malformed ${kind} record ${JSON.stringify(id)}`);
}
