import { StoreUnavailableError } from '../../errors/index.js';
import {
  appsFrom,
  attributesFrom,
  capabilitiesFrom,
  credentialDocuments,
  failureFrom,
  invalidationsFrom,
  isPrincipalType,
  parseJson,
  pendingFrom,
  secretsFrom,
  stateFrom,
  type Malformed,
} from '../records.js';
import type { ClientKeyRecord, CredentialRecord, PrincipalRecord } from '../store.js';

/** A row of `principals` as better-sqlite3 returns it. */
export interface PrincipalRow {
  id: string;
  type: string;
  attributes: string;
  secrets: string;
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
  state: string | null;
  pending: string | null;
  invalidations: number;
}

/** A row of `client_keys`. */
export interface ClientKeyRow {
  name: string;
  hash: string;
  apps: string;
  created_at: number;
  capabilities: string | null;
  expires_at: number | null;
  last_used_at: number | null;
}

/** Maps a `principals` row to its record. */
export function principalFromRow(row: PrincipalRow): PrincipalRecord {
  if (!isPrincipalType(row.type)) throw corrupt('principals', row.id, 'type')();
  return {
    id: row.id,
    type: row.type,
    attributes: attributesFrom(json('principals', row.id, 'attributes', row.attributes), corrupt('principals', row.id, 'attributes')),
    secrets: secretsFrom(json('principals', row.id, 'secrets', row.secrets), corrupt('principals', row.id, 'secrets')),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The bound parameters of a principal write (named to match the statement in sqlite-store.ts). */
export function principalParams(principal: PrincipalRecord): Record<string, string | number> {
  return {
    id: principal.id,
    type: principal.type,
    attributes: JSON.stringify(principal.attributes),
    secrets: JSON.stringify(principal.secrets),
    created_at: principal.createdAt,
    updated_at: principal.updatedAt,
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
    failure: failureFrom(json('credentials', row.key, 'failure', row.failure), corrupt('credentials', row.key, 'failure')),
    state: stateFrom(json('credentials', row.key, 'state', row.state), corrupt('credentials', row.key, 'state')),
    pending: pendingFrom(json('credentials', row.key, 'pending', row.pending), corrupt('credentials', row.key, 'pending')),
    invalidations: invalidationsFrom(row.invalidations, corrupt('credentials', row.key, 'invalidations')),
  };
}

/** The bound parameters of a credential write (named to match the statements in sqlite-store.ts). */
export function credentialParams(record: CredentialRecord, version: number): Record<string, string | number | null> {
  const { failure, state, pending } = credentialDocuments(record);
  return {
    key: record.key,
    version,
    token: record.token,
    expires_at: record.expiresAt,
    obtained_at: record.obtainedAt,
    failure,
    state,
    pending,
    invalidations: record.invalidations,
  };
}

/** Maps a `client_keys` row to its record. */
export function clientKeyFromRow(row: ClientKeyRow): ClientKeyRecord {
  const bad = corrupt('client_keys', row.name, 'apps');
  const badCapabilities = corrupt('client_keys', row.name, 'capabilities');
  return {
    name: row.name,
    hash: row.hash,
    apps: appsFrom(parseJson(row.apps, bad), bad),
    createdAt: row.created_at,
    capabilities: capabilitiesFrom(json('client_keys', row.name, 'capabilities', row.capabilities), badCapabilities),
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
  };
}

/** A JSON column's value; SQL NULL stays null. */
function json(table: string, id: string, column: string, text: string | null): unknown {
  return text === null ? null : parseJson(text, corrupt(table, id, column));
}

function corrupt(table: string, id: string, column: string): Malformed {
  // Names the row and column only, never the value.
  return () => new StoreUnavailableError(`SQLite store: malformed ${column} in ${table} row ${JSON.stringify(id)}`);
}
