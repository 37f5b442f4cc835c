import type { HubEventMap, HubEvents } from '../../core/token-service.js';
import type { Clock } from '../../util/clock.js';
import { RefreshHistory, type RefreshHistoryOptions } from './refresh-history.js';

/** What a dashboard page hears live (server-sent events): which credential changed and how. No value, no secret. */
export interface ActivityEvent {
  readonly type: 'refreshed' | 'adopted' | 'refresh_failed' | 'invalidated';
  readonly key: string;
  readonly kind: string;
  readonly at: number;
  /** For refresh_failed: the wxtoken error code. */
  readonly code?: string;
}

/** The last upstream outcomes seen, from which upstreamHealth judges WeChat's reachability. */
export interface UpstreamObservations {
  /** Last time this instance obtained a value from WeChat. */
  readonly lastOkAt: number | null;
  /** Last attempt that failed because WeChat was unreachable or busy (category `transient`). */
  readonly lastOutageAt: number | null;
  readonly lastOutageCode: string | null;
}

/** WeChat's reachability as the dashboard shows it. */
export interface UpstreamHealth {
  /** `unknown`: no call yet; `ok`: the last call reached WeChat; `degraded`: the last call did not. */
  readonly status: 'unknown' | 'ok' | 'degraded';
  readonly lastOkAt: number | null;
  readonly lastOutageAt: number | null;
  readonly lastOutageCode: string | null;
}

/**
 * Judges WeChat's reachability from the last outcomes. An answer that refuses (a wrong secret, a quota) still
 * proves WeChat reachable, so only transient failures count against it. Pure.
 */
export function upstreamHealth(seen: UpstreamObservations): UpstreamHealth {
  let status: UpstreamHealth['status'];
  if (seen.lastOutageAt === null) status = seen.lastOkAt === null ? 'unknown' : 'ok';
  else status = seen.lastOkAt !== null && seen.lastOkAt > seen.lastOutageAt ? 'ok' : 'degraded';
  return { status, ...seen };
}

/**
 * Listens to the hub's events for the dashboard: keeps the refresh history and recent errors, watches WeChat's
 * reachability, and fans every event out to the open live streams. The hub emits `adopted` when another
 * instance's refresh reaches this one through the store, so every instance of a fleet sees every refresh.
 */
export class DashboardActivity {
  readonly history: RefreshHistory;
  readonly #clock: Clock;
  readonly #listeners = new Set<(event: ActivityEvent) => void>();
  readonly #detach: Array<() => void> = [];
  #upstream: UpstreamObservations = { lastOkAt: null, lastOutageAt: null, lastOutageCode: null };

  constructor(clock: Clock, events: HubEvents | undefined, historyOptions?: RefreshHistoryOptions) {
    this.#clock = clock;
    this.history = new RefreshHistory(historyOptions);
    if (events === undefined) return;
    this.#listen(events, 'refreshed', (e) => {
      const at = this.#clock.now();
      this.#upstream = { ...this.#upstream, lastOkAt: at };
      this.#record({ type: 'refreshed', key: `${e.appid}:${e.kind}`, kind: e.kind, at });
    });
    this.#listen(events, 'adopted', (e) => this.#record({ type: 'adopted', key: `${e.appid}:${e.kind}`, kind: e.kind, at: this.#clock.now() }));
    this.#listen(events, 'refresh_failed', (e) => {
      const at = this.#clock.now();
      if (e.category === 'transient' && e.code !== 'store_unavailable') this.#upstream = { ...this.#upstream, lastOutageAt: at, lastOutageCode: e.code };
      const key = `${e.appid}:${e.kind}`;
      this.history.failed({ at, key, kind: e.kind, code: e.code, ...(e.errcode !== undefined && { errcode: e.errcode }), category: e.category, final: e.retryAt === undefined });
      this.#emit({ type: 'refresh_failed', key, kind: e.kind, at, code: e.code });
    });
    this.#listen(events, 'invalidated', (e) => this.#emit({ type: 'invalidated', key: `${e.appid}:${e.kind}`, kind: e.kind, at: this.#clock.now() }));
  }

  /** WeChat's reachability as this instance last saw it. */
  upstream(): UpstreamHealth {
    return upstreamHealth(this.#upstream);
  }

  /** Calls `listener` on every event until the returned function is called. */
  subscribe(listener: (event: ActivityEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** How many live streams are listening. */
  get listeners(): number {
    return this.#listeners.size;
  }

  /** Stops listening to the hub (on server close). */
  detach(): void {
    for (const off of this.#detach.splice(0)) off();
    this.#listeners.clear();
  }

  #record(event: ActivityEvent): void {
    this.history.refreshed(event.key, event.at);
    this.#emit(event);
  }

  #emit(event: ActivityEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A broken stream must not keep the others, or the hub's emitter, from the event.
      }
    }
  }

  #listen<K extends keyof HubEventMap>(events: HubEvents, event: K, listener: (...args: HubEventMap[K]) => void): void {
    events.on(event, listener);
    this.#detach.push(() => events.off(event, listener));
  }
}
