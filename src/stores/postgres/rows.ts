import { StoreUnavailableError } from '../../errors/index.js';
import {
  appsFrom,
  attributesFrom,
  capabilitiesFrom,
  failureFrom,
  invalidationsFrom,
  isPrincipalType,
  pendingFrom,
  secretsFrom,
  stateFrom,
  type Malformed,
} from '../records.js';
import type { ClientKeyRecord, CredentialRecord, PrincipalRecord } from '../store.js';

/**
 * Rows as pg returns them (bigint arrives as a string, jsonb already parsed) and the type guards that turn them
 * into records. A row that does not fit is reported as malformed, naming the row and column, never the value.
 */

/** A row of `wxtoken_principals`. */
export interface PrincipalRow {
  id: string;
  type: string;
  attributes: unknown;
  secrets: unknown;
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
  state: unknown;
  pending: unknown;
  invalidations: number;
}

/** A row of `wxtoken_client_keys`. */
export interface ClientKeyRow {
  name: string;
  hash: string;
  apps: unknown;
  created_at: string;
  capabilities: unknown;
  expires_at: string | null;
  last_used_at: string | null;
}

/** Maps a principals row to its record. */
export function principalFromRow(row: PrincipalRow): PrincipalRecord {
  const t = 'wxtoken_principals';
  if (!isPrincipalType(row.type)) throw malformed(t, row.id, 'type')();
  return {
    id: row.id,
    type: row.type,
    attributes: attributesFrom(row.attributes, malformed(t, row.id, 'attributes')),
    secrets: secretsFrom(row.secrets, malformed(t, row.id, 'secrets')),
    createdAt: int(t, row.id, 'created_at', row.created_at),
    updatedAt: int(t, row.id, 'updated_at', row.updated_at),
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
    failure: failureFrom(row.failure, malformed(t, row.key, 'failure')),
    state: stateFrom(row.state, malformed(t, row.key, 'state')),
    pending: pendingFrom(row.pending, malformed(t, row.key, 'pending')),
    invalidations: invalidationsFrom(row.invalidations, malformed(t, row.key, 'invalidations')),
  };
}

/** Maps a client-keys row to its record. */
export function clientKeyFromRow(row: ClientKeyRow): ClientKeyRecord {
  const t = 'wxtoken_client_keys';
  return {
    name: row.name,
    hash: row.hash,
    apps: appsFrom(row.apps, malformed(t, row.name, 'apps')),
    createdAt: int(t, row.name, 'created_at', row.created_at),
    capabilities: capabilitiesFrom(row.capabilities, malformed(t, row.name, 'capabilities')),
    expiresAt: row.expires_at === null ? null : int(t, row.name, 'expires_at', row.expires_at),
    lastUsedAt: row.last_used_at === null ? null : int(t, row.name, 'last_used_at', row.last_used_at),
  };
}

function int(table: string, id: string, column: string, value: string | number): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw malformed(table, id, column)();
  return n;
}

function malformed(table: string, id: string, column: string): Malformed {
  return () => new StoreUnavailableError(`PostgreSQL store: malformed ${column} in ${table} row ${JSON.stringify(id)}`);
}
