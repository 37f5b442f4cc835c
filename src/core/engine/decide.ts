import type { Intent } from './intent.js';

/** What the engine knows about one credential at the moment it decides, all times absolute (epoch ms). */
export interface CredentialView {
  readonly now: number;
  /** The stored value, or null when there is none. */
  readonly token: string | null;
  /** Whether the held value may be handed out now (inside its serving window). */
  readonly servable: boolean;
  /** When the held value is due for its proactive refresh. */
  readonly refreshAt: number;
  /** The recorded failure: no automatic attempt before `retryAt` (never, when it is undefined). */
  readonly failure: { readonly retryAt?: number | undefined } | null;
  /** A fetch another instance began and has not written back, or null. */
  readonly pendingSince: number | null;
  /** Whether a refresh could replace the value now (false: a stable token whose forces are spent today). */
  readonly canReplace: boolean;
  /** Upstream answers the same value until this time (tickets), or undefined. */
  readonly stickyUntil: number | undefined;
  /** A report of the current value does not refresh it before this time (the invalidation floor). */
  readonly reportsRefreshFrom: number;
}

/** The decision for one flight step. */
export type Verdict =
  | { readonly action: 'serve' }
  | { readonly action: 'refresh' }
  /** Nothing new can be had before `until`: wait, then decide again. */
  | { readonly action: 'wait'; readonly until: number }
  /** A report came too soon after the last report-driven refresh: refuse it until `until`. */
  | { readonly action: 'throttle'; readonly until: number };

/**
 * Whether a caller's report of `reported` as bad is stale: a value other than it is held now, so someone already
 * replaced it and nothing is refreshed. The one comparison behind compare-and-invalidate.
 */
export function reportIsStale(held: string | null | undefined, reported: string): boolean {
  return typeof held === 'string' && held !== reported;
}

const SERVE: Verdict = { action: 'serve' };
const REFRESH: Verdict = { action: 'refresh' };

/**
 * Decides whether a flight serves what is held, refreshes, waits or refuses. Pure: the engine gathers the view,
 * acts on the verdict, and asks again after every read of the store (before and under the lease).
 *
 * `dueSlackMs`: Node's timers and Date.now() run on different clocks, so a timer set for T may fire at T − 1 ms;
 * a scheduled flight counts what falls due within the slack as due.
 */
export function decide(view: CredentialView, intent: Intent, dueSlackMs: number): Verdict {
  const { now, servable, token } = view;
  if (intent.mode === 'force') return servable && token !== intent.previous ? SERVE : REFRESH;
  const dueBy = intent.mode === 'scheduled' ? now + dueSlackMs : now;
  const failure = view.failure;
  // A failure pauses automatic attempts until its retry time; what is held (if anything) is served meanwhile.
  if (failure && (failure.retryAt === undefined || failure.retryAt > dueBy)) return SERVE;
  // Upstream would hand back the same value: calling before it ends costs quota and brings nothing. A report that
  // the current value is dead is the exception: upstream may have ended it early (WeCom does, on a secret reset or
  // for its own reasons), and then it answers a new one; the invalidation floor bounds what such reports cost.
  const reportsCurrent = intent.mode === 'invalidate' && !reportIsStale(token, intent.badToken);
  if (view.stickyUntil !== undefined && dueBy < view.stickyUntil && !reportsCurrent) {
    return servable || intent.mode === 'scheduled' ? SERVE : { action: 'wait', until: view.stickyUntil };
  }
  switch (intent.mode) {
    case 'ensure':
      return servable ? SERVE : REFRESH;
    case 'scheduled':
      // A fetch begun elsewhere and not written back: its owner may have died after WeChat replaced the value.
      // The lease tells: taking it means the owner is gone.
      if (view.pendingSince !== null) return REFRESH;
      return servable && dueBy < view.refreshAt && !failure ? SERVE : REFRESH;
    case 'invalidate':
      if (reportIsStale(token, intent.badToken)) return servable ? SERVE : REFRESH;
      // Only a force could replace it and none is left today: another report must not cost another call.
      if (servable && !view.canReplace) return SERVE;
      if (now < view.reportsRefreshFrom) return { action: 'throttle', until: view.reportsRefreshFrom };
      return REFRESH;
  }
}

/**
 * How long after it was obtained a value must have lived before a report refreshes it, given how many
 * report-driven refreshes came before it in a row: none for the first (a token killed elsewhere heals at once),
 * then `baseMs`, doubling each time up to `maxMs`, so a caller that reports every token it is given cannot spend
 * the app's daily quota.
 */
export function invalidationFloorMs(previousInvalidations: number, baseMs: number, maxMs: number): number {
  if (previousInvalidations <= 0) return 0;
  return Math.min(maxMs, baseMs * 2 ** Math.min(previousInvalidations - 1, 30));
}

/**
 * Whether a credential refreshed only while used (CredentialKind.idleAfterLifetimes) is in use: a caller was served
 * within the last `windowMs` (that many of its value's lifetimes; at least one, so a caller that took the value just
 * after the previous refresh still counts when the next one falls due). One never served since tracked is idle.
 */
export function inUse(lastServedAt: number | null, windowMs: number, now: number): boolean {
  return lastServedAt !== null && now - lastServedAt <= windowMs;
}
