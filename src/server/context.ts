import type { Clock } from '../util/clock.js';
import type { TokenService } from '../core/token-service.js';
import type { AuthGuard } from './auth-guard.js';
import type { ServerMetrics } from './metrics.js';
import type { ExpiryFormatter } from './token-body.js';

/** What route modules share: the hub, the clock and the (optional) metrics. */
export interface RouteContext {
  readonly service: TokenService;
  readonly clock: Clock;
  /** null when metrics are disabled. */
  readonly metrics: ServerMetrics | null;
  /** Shared by every route that returns a token body. */
  readonly expiry: ExpiryFormatter;
  /** Throttles failed authentication per address; every credential check goes through it. */
  readonly guard: AuthGuard;
}
