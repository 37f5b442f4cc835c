import { createRequire } from 'node:module';
import type { Counter as PromCounter, Registry as PromRegistry } from 'prom-client';

// prom-client's entry point also loads @opentelemetry/api and every metric type (for exemplars and default metrics,
// unused here): about 12 MB more resident memory per instance. The two classes used here are loaded directly.
const load = createRequire(import.meta.url);
const Counter = load('prom-client/lib/counter') as typeof PromCounter;
const Registry = load('prom-client/lib/registry') as typeof PromRegistry;
import type { HubEventMap, HubEvents } from '../core/token-service.js';

/** Where a token was read: the v1 API or the WeChat-compatible endpoints. */
export type TokenReadVia = 'v1' | 'compat';

/** Counts one response of a route; returned per route so the hot path does no label hashing. */
export type ResponseCounter = (method: string, status: number) => void;

/**
 * The server's Prometheus metrics, in a Registry of its own (never prom-client's global one, so two servers in
 * one process do not collide). Request and token-read counts are plain numbers bumped on the hot path and turned
 * into samples only when /metrics is scraped; hub events are rare and go straight to prom-client counters.
 * Labels carry route patterns, methods, statuses, appids and error codes: never a token, key or raw URL.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  // route pattern → method → status → count
  readonly #requests = new Map<string, Map<string, Map<number, number>>>();
  // appid → [v1 reads, compat reads]
  readonly #tokenReads = new Map<string, [number, number]>();
  readonly #detach: Array<() => void> = [];
  readonly #authFailures: PromCounter<'surface'>;
  readonly #authThrottled: PromCounter<'surface'>;

  constructor(events?: HubEvents) {
    const requests = this.#requests;
    const tokenReads = this.#tokenReads;
    new Counter({
      name: 'wxtoken_http_requests_total',
      help: 'HTTP responses by route pattern, method and status.',
      labelNames: ['route', 'method', 'status'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [route, byMethod] of requests) {
          for (const [method, byStatus] of byMethod) {
            for (const [status, n] of byStatus) this.inc({ route, method, status: String(status) }, n);
          }
        }
      },
    });
    new Counter({
      name: 'wxtoken_token_reads_total',
      help: 'Access tokens handed to callers, by app and endpoint family (v1 or compat).',
      labelNames: ['appid', 'via'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [appid, [v1, compat]] of tokenReads) {
          if (v1 > 0) this.inc({ appid, via: 'v1' }, v1);
          if (compat > 0) this.inc({ appid, via: 'compat' }, compat);
        }
      },
    });
    this.#authFailures = new Counter({
      name: 'wxtoken_auth_failures_total',
      help: 'Credentials that matched nothing (client keys, AppSecrets, the admin or metrics key), by surface.',
      labelNames: ['surface'] as const,
      registers: [this.registry],
    });
    this.#authThrottled = new Counter({
      name: 'wxtoken_auth_throttled_total',
      help: 'Requests refused with 429 because their address failed authentication too often, by surface.',
      labelNames: ['surface'] as const,
      registers: [this.registry],
    });
    if (events) this.#observe(events);
  }

  /** Counts a failed authentication on a surface (client, compat, admin, metrics). */
  authFailure(surface: string): void {
    this.#authFailures.inc({ surface });
  }

  /** Counts a request refused because its address is throttled. */
  authThrottled(surface: string): void {
    this.#authThrottled.inc({ surface });
  }

  /** A counter for one route pattern (e.g. `/v1/apps/:appid/access-token`). */
  routeCounter(route: string): ResponseCounter {
    let byMethod = this.#requests.get(route);
    if (!byMethod) {
      byMethod = new Map();
      this.#requests.set(route, byMethod);
    }
    const methods = byMethod;
    return (method, status) => {
      let byStatus = methods.get(method);
      if (!byStatus) {
        byStatus = new Map();
        methods.set(method, byStatus);
      }
      byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    };
  }

  /** Counts a token handed to a caller. */
  tokenRead(appid: string, via: TokenReadVia): void {
    let counts = this.#tokenReads.get(appid);
    if (!counts) {
      counts = [0, 0];
      this.#tokenReads.set(appid, counts);
    }
    counts[via === 'v1' ? 0 : 1]++;
  }

  /** Stops listening to hub events (on server close). */
  detach(): void {
    for (const off of this.#detach.splice(0)) off();
  }

  #observe(events: HubEvents): void {
    const registers = [this.registry];
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]): PromCounter<L> =>
      new Counter({ name, help, labelNames, registers });
    const refreshes = counter('wxtoken_refreshes_total', 'Credentials obtained from WeChat, by app, kind and reason.', ['appid', 'kind', 'reason']);
    const failures = counter(
      'wxtoken_refresh_failures_total',
      'Failed refresh attempts, by app, kind and wxtoken error code.',
      ['appid', 'kind', 'code'],
    );
    const invalidations = counter(
      'wxtoken_invalidations_total',
      'Credentials reported as rejected by callers, by result: refreshed, stale (no longer current: nothing refreshed) or throttled (refused under the invalidation floor).',
      ['appid', 'kind', 'result'],
    );
    const adoptions = counter(
      'wxtoken_adoptions_total',
      'Credentials another instance refreshed and this one adopted (never its own refreshes), by app and kind.',
      ['appid', 'kind'],
    );
    this.#listen(events, 'refreshed', (e) => refreshes.inc({ appid: e.appid, kind: e.kind, reason: e.reason }));
    this.#listen(events, 'refresh_failed', (e) => failures.inc({ appid: e.appid, kind: e.kind, code: e.code }));
    this.#listen(events, 'invalidated', (e) => invalidations.inc({ appid: e.appid, kind: e.kind, result: e.result }));
    this.#listen(events, 'adopted', (e) => adoptions.inc({ appid: e.appid, kind: e.kind }));
  }

  #listen<K extends keyof HubEventMap>(events: HubEvents, event: K, listener: (...args: HubEventMap[K]) => void): void {
    events.on(event, listener);
    this.#detach.push(() => events.off(event, listener));
  }
}
