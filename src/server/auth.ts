import { createHash, timingSafeEqual } from 'node:crypto';
import type { TokenService } from '../core/token-service.js';
import { appResource, keyAllows, resourceName, type ClientIdentity, type KeyAction, type Resource } from '../core/key-scope.js';
import { ForbiddenError, UnauthorizedError } from '../errors/index.js';
import { assertAppid } from './appid.js';
import type { AuthGuard, AuthSurface } from './auth-guard.js';
import type { FastifyRequest } from 'fastify';

/** The key presented in `Authorization: Bearer <key>` (scheme case-insensitive), or null. */
export function bearerKey(header: string | undefined): string | null {
  if (header === undefined || header.length < 8) return null;
  // startsWith first: the common spelling costs no allocation.
  if (!header.startsWith('Bearer ') && header.slice(0, 7).toLowerCase() !== 'bearer ') return null;
  const key = header.slice(7).trim();
  return key.length === 0 ? null : key;
}

export type { ClientIdentity } from '../core/key-scope.js';

/**
 * Authenticates a client key, checks the appid's format, then checks the key may perform `action` (default
 * `read-token`: every token and ticket route) on the app, synchronously (the hot path). Throws UnauthorizedError
 * (no, unknown or expired key), AuthThrottledError (the address failed too often), InvalidRequestError (malformed
 * appid) or ForbiddenError (key not scoped to the app, or without the capability, e.g. a sign-only key asking for
 * a token). Authentication comes first so strangers learn nothing.
 */
export function authorizeClient(
  service: TokenService,
  request: FastifyRequest,
  appid: string,
  guard: AuthGuard,
  action: KeyAction = 'read-token',
): ClientIdentity {
  const identity = authenticateClient(service, request, guard);
  assertAppid(appid);
  if (!keyAllows(identity, appResource(appid), action)) throw forbidden(identity, appResource(appid), action);
  return identity;
}

/** As authorizeClient, for any principal (a WeCom app...); `resource` is built after authentication succeeds. */
export function authorizeResource(
  service: TokenService,
  request: FastifyRequest,
  resource: () => Resource,
  guard: AuthGuard,
  action: KeyAction = 'read-token',
): ClientIdentity {
  const identity = authenticateClient(service, request, guard);
  const target = resource();
  if (!keyAllows(identity, target, action)) throw forbidden(identity, target, action);
  return identity;
}

/** The identity of the request's bearer client key; UnauthorizedError or AuthThrottledError otherwise. */
export function authenticateClient(service: TokenService, request: FastifyRequest, guard: AuthGuard): ClientIdentity {
  const key = bearerKey(request.headers.authorization);
  if (key === null) throw new UnauthorizedError('a client key is required: Authorization: Bearer <key>');
  guard.assertAllowed(request, 'client');
  const identity = service.authenticate(key);
  if (identity === null) {
    guard.failed(request, 'client');
    throw new UnauthorizedError('the client key is not valid');
  }
  return identity;
}

/** The 403 for a key that may not perform `action` on `resource`, saying which of scope and capability is missing. */
export function forbidden(identity: ClientIdentity, resource: Resource, action: KeyAction): ForbiddenError {
  if (!identity.capabilities.includes(action)) {
    return new ForbiddenError(`client key ${identity.name} may not ${ACTION_TEXT[action]} (its capabilities: ${identity.capabilities.join(', ') || 'none'})`);
  }
  const name = resource.type === 'app' ? `app ${resource.appid}` : resourceName(resource);
  return new ForbiddenError(`client key ${identity.name} is not scoped to ${name}`);
}

const ACTION_TEXT: Record<KeyAction, string> = {
  'read-token': 'receive tokens or tickets',
  sign: 'ask for signatures',
  login: 'make user-login calls',
};

/** Checks admin bearer keys in constant time: both sides are hashed to equal-length digests first. */
export class AdminKeyCheck {
  readonly #digest: Buffer | null;

  /** `adminKey` undefined disables the admin API: every check fails with a message saying so. */
  constructor(adminKey: string | undefined) {
    this.#digest = adminKey === undefined ? null : sha256(adminKey);
  }

  /** Throws UnauthorizedError unless the request carries the admin key; failures count towards throttling. */
  assert(request: FastifyRequest, guard: AuthGuard): void {
    if (this.#digest === null) {
      throw new UnauthorizedError('the admin API is disabled: start the hub with WXTOKEN_ADMIN_KEY set to enable it');
    }
    assertBearer(request, this.#digest, guard, 'admin', 'admin key');
  }
}

/**
 * Throws UnauthorizedError unless the request's bearer key hashes to `digest` (compared in constant time), and
 * AuthThrottledError while its address is throttled; a wrong key counts as a failure on `surface`.
 */
export function assertBearer(request: FastifyRequest, digest: Buffer, guard: AuthGuard, surface: AuthSurface, what: string): void {
  const key = bearerKey(request.headers.authorization);
  if (key === null) throw new UnauthorizedError(`the ${what} is required: Authorization: Bearer <${what}>`);
  guard.assertAllowed(request, surface);
  if (!timingSafeEqual(sha256(key), digest)) {
    guard.failed(request, surface);
    throw new UnauthorizedError(`the ${what} is not valid`);
  }
}

/** The SHA-256 digest of a key, as assertBearer compares it. */
export function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
