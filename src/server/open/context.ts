import type { OpenPlatform } from '../../core/open-platform/open-platform.js';
import type { TokenService } from '../../core/token-service.js';
import { keyAllows, type ClientIdentity, type KeyAction, type Resource } from '../../core/key-scope.js';
import { ForbiddenError } from '../../errors/index.js';
import { authenticateClient } from '../auth.js';
import type { AuthGuard } from '../auth-guard.js';
import type { FastifyRequest } from 'fastify';

/** The Open Platform facade of a service that has one (the Hub does); null otherwise (test doubles). */
export function openPlatformOf(service: TokenService): OpenPlatform | null {
  const open = (service as { open?: unknown }).open;
  return open !== null && typeof open === 'object' && typeof (open as OpenPlatform).authorizerToken === 'function' ? (open as OpenPlatform) : null;
}

/**
 * Authenticates a client key and checks it may perform `action` on an Open Platform resource (a component, or an
 * authorizer: `component:<c>/<appid>` or the group `component:<c>/*`); `resource` null checks the capability
 * only (before a route looks anything up). Authentication comes first.
 */
export function authorizeOpenClient(service: TokenService, request: FastifyRequest, resource: Resource | null, guard: AuthGuard, action: KeyAction = 'read-token'): ClientIdentity {
  const identity = authenticateClient(service, request, guard);
  assertOpenAccess(identity, resource, action);
  return identity;
}

/** Checks an authenticated key may perform `action` on an Open Platform resource (null: the capability only). */
export function assertOpenAccess(identity: ClientIdentity, resource: Resource | null, action: KeyAction = 'read-token'): void {
  if (keyAllows(identity, resource, action)) return;
  const what =
    resource === null ? 'this' : resource.type === 'authorizer' ? `authorizer ${resource.appid} of component ${resource.componentAppid}` : `component ${resource.type === 'component' ? resource.componentAppid : ''}`;
  throw new ForbiddenError(identity.capabilities.includes(action) ? `client key ${identity.name} is not scoped to ${what}` : `client key ${identity.name} may not perform ${action}`);
}
