import type { FastifyRequest } from 'fastify';
import { AuthThrottledError } from '../errors/index.js';
import { addressKey, type FailureThrottle } from './failure-throttle.js';
import type { ServerMetrics } from './metrics.js';

/** Where a credential was presented: the v1 client API, the WeChat-compatible token endpoints, admin, /metrics. */
export type AuthSurface = 'client' | 'compat' | 'admin' | 'metrics';

/**
 * Throttles failed authentication per source address on every surface that checks a credential, counts failures
 * and refusals in /metrics, and logs once per burst (when an address gets blocked), never the credential.
 */
export class AuthGuard {
  readonly #throttle: FailureThrottle | null;
  readonly #metrics: ServerMetrics | null;

  /** `throttle` null disables throttling (failures are still counted). */
  constructor(throttle: FailureThrottle | null, metrics: ServerMetrics | null) {
    this.#throttle = throttle;
    this.#metrics = metrics;
  }

  /** Throws AuthThrottledError (429, Retry-After) while the request's address is blocked. */
  assertAllowed(request: FastifyRequest, surface: AuthSurface): void {
    if (this.#throttle === null || this.#throttle.size === 0) return;
    const waitMs = this.#throttle.retryAfterMs(addressKey(request.ip));
    if (waitMs === 0) return;
    this.#metrics?.authThrottled(surface);
    throw new AuthThrottledError(Math.max(1, Math.ceil(waitMs / 1000)));
  }

  /** Records a credential that matched nothing. */
  failed(request: FastifyRequest, surface: AuthSurface): void {
    this.#metrics?.authFailure(surface);
    if (this.#throttle === null) return;
    const address = addressKey(request.ip);
    if (this.#throttle.fail(address)) {
      request.log.warn({ address, surface }, 'too many failed authentications from one address: refusing its credentials for a while');
    }
  }
}
