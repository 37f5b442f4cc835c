import type { CredentialRecord, PrincipalRecord } from '../stores/store.js';
import type { CredentialKind } from './kinds/kind.js';
import type { CredentialState, IssuedToken } from './token-service.js';

/**
 * The hub's principal-level API, on which each principal type's facade (WeComAgents, and the Open Platform's
 * next) maps its own names: credentials by principal id and kind, principals by id with plaintext secrets that
 * the hub seals. Hub implements it.
 */
export interface PrincipalCredentials {
  /**
   * The current value of a principal's credential of `kind`; discovers the principal and tracks a lazy kind on
   * first use. `stored`: the principal as the caller just read it, sparing that read.
   */
  credential(id: string, kind: CredentialKind, stored?: PrincipalRecord): Promise<IssuedToken>;
  /** Compare-and-invalidate: refreshes only if `badValue` is still the current value. */
  invalidateCredential(id: string, kind: CredentialKind, badValue: string, stored?: PrincipalRecord): Promise<IssuedToken>;
  /** Operator-forced refresh. */
  refreshCredential(id: string, kind: CredentialKind): Promise<IssuedToken>;
  /** The record as last seen, if tracked. */
  credentialRecord(id: string, kind: CredentialKind): CredentialRecord | null;
  /** Whose current value `value` is, and of which kind, if the hub holds it. */
  ownerOfValue(value: string): { principal: PrincipalRecord; kind: string } | undefined;
  /** Where every tracked credential of the kinds stands, with its principal. */
  credentialStates(kinds: readonly CredentialKind[]): Array<CredentialState & { principal: PrincipalRecord }>;
  /** Creates or updates a principal from plaintext secrets. */
  putPrincipal(input: {
    id: string;
    type: PrincipalRecord['type'];
    attributes: PrincipalRecord['attributes'];
    secrets: Readonly<Record<string, string>>;
  }): Promise<{ created: boolean; changed: boolean }>;
  /** Removes a principal and its credentials (with `ifUnchanged`, only as read); returns whether it was removed. */
  removePrincipal(id: string, ifUnchanged?: PrincipalRecord): Promise<boolean>;
  /** Constant-time check of a principal's secret. */
  principalSecretMatches(id: string, name: string, presented: string): Promise<boolean>;
  /** The principals of a type this instance holds, without a store read (for request paths). */
  trackedPrincipals(type: PrincipalRecord['type']): PrincipalRecord[];
  /** Every stored principal of a type. */
  listPrincipals(type: PrincipalRecord['type']): Promise<PrincipalRecord[]>;
}
