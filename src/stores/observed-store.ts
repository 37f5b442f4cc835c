import { StoreUnavailableError } from '../errors/index.js';
import type { Store } from './store.js';

/** The Store methods that reach the backend (description is a plain property). */
const METHODS = [
  'listPrincipals',
  'getPrincipal',
  'putPrincipal',
  'deletePrincipal',
  'getCredential',
  'listCredentialKeys',
  'listCredentials',
  'putCredential',
  'listClientKeys',
  'addClientKey',
  'deleteClientKey',
  'touchClientKey',
  'acquireLease',
  'releaseLease',
  'subscribe',
  'time',
  'ping',
  'close',
] as const satisfies ReadonlyArray<keyof Store>;

// Every method of the contract must be listed: one left out would be missing from the observed store. This line
// stops compiling when the Store interface gains a method METHODS lacks.
const EVERY_METHOD: Exclude<keyof Store, (typeof METHODS)[number] | 'description'> extends never ? true : never = true;
void EVERY_METHOD;

/**
 * A Store that reports every call rejected with StoreUnavailableError (for the store-errors metric) and otherwise
 * behaves exactly as `inner`. Optional methods stay absent when `inner` lacks them.
 */
export function observeStore(inner: Store, onError: (operation: string) => void): Store {
  const observed: Record<string, unknown> = {
    get description() {
      return inner.description;
    },
  };
  for (const name of METHODS) {
    const method = inner[name] as ((...args: unknown[]) => Promise<unknown>) | undefined;
    if (typeof method !== 'function') continue;
    observed[name] = (...args: unknown[]) =>
      method.apply(inner, args).catch((err: unknown) => {
        if (err instanceof StoreUnavailableError) onError(name);
        throw err;
      });
  }
  return observed as unknown as Store;
}
