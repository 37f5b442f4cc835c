import { createRequire } from 'node:module';
import type { Counter as PromCounter, Gauge as PromGauge, Histogram as PromHistogram, Registry as PromRegistry } from 'prom-client';

// prom-client's entry point also loads @opentelemetry/api and every metric type (for exemplars and default metrics,
// unused here): about 12 MB more resident memory per instance. The two classes used here are loaded directly.
const load = createRequire(import.meta.url);
const Counter = load('prom-client/lib/counter') as typeof PromCounter;
const Registry = load('prom-client/lib/registry') as typeof PromRegistry;
const Gauge = load('prom-client/lib/gauge') as typeof PromGauge;
const Histogram = load('prom-client/lib/histogram') as typeof PromHistogram;
import type { OpsEventMap, OpsEvents } from '../core/ops-events.js';
import type { CredentialState, HubEventMap, HubEvents } from '../core/token-service.js';
import { systemClock, type Clock } from '../util/clock.js';

/** A quota as the hub counts it (core/hub.ts quotaUsage). */
export interface QuotaUsage {
  readonly appid: string;
  readonly api: string;
  readonly used: number;
  readonly limit: number;
}

/** Where the scrape-time gauges come from; each is optional (a gauge without a source is absent). */
export interface MetricSources {
  readonly events?: HubEvents | undefined;
  readonly ops?: OpsEvents | undefined;
  /** Every tracked credential's state, read at each scrape. */
  readonly credentials?: (() => readonly CredentialState[]) | undefined;
  /** Quotas the hub counts, read at each scrape. */
  readonly quota?: (() => readonly QuotaUsage[]) | undefined;
  readonly clock?: Clock | undefined;
  /** Distinct appids given their own series before the rest share `(other)` (default DEFAULT_METRICS_APP_LIMIT). */
  readonly appLimit?: number | undefined;
}

/**
 * 1,000 appids get their own per-app series; beyond that (a platform with 100,000 authorizers) new ones are counted
 * under appid `(other)`, so a scrape stays a few thousand lines. The per-kind aggregates are always complete.
 */
export const DEFAULT_METRICS_APP_LIMIT = 1_000;
/** A quota gets per-app series from this share of its limit: the apps an operator must look at, and few. */
export const QUOTA_SERIES_FROM = 0.5;
/** The label per-app series share once DEFAULT_METRICS_APP_LIMIT appids have their own. */
export const OTHER_APPS = '(other)';
/** Upstream latency buckets (seconds): WeChat answers in tens of milliseconds, times out at 10 s. */
const UPSTREAM_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

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
  readonly #appLimit: number;
  readonly #labelledApps = new Set<string>();

  constructor(sources: MetricSources = {}) {
    this.#appLimit = sources.appLimit ?? DEFAULT_METRICS_APP_LIMIT;
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
    if (sources.events) this.#observe(sources.events);
    if (sources.ops) this.#observeOps(sources.ops);
    if (sources.credentials) this.#credentialGauges(sources.credentials, sources.clock ?? systemClock);
    if (sources.quota) this.#quotaGauges(sources.quota);
  }

  /** `appid` while fewer than the limit have series of their own (or it already has), else OTHER_APPS. */
  appLabel(appid: string): string {
    if (this.#labelledApps.has(appid)) return appid;
    if (this.#labelledApps.size >= this.#appLimit) return OTHER_APPS;
    this.#labelledApps.add(appid);
    return appid;
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
      const label = this.appLabel(appid);
      counts = this.#tokenReads.get(label) ?? [0, 0];
      this.#tokenReads.set(label, counts);
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
    const app = (appid: string): string => this.appLabel(appid);
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
    const outcomes = counter('wxtoken_refresh_outcomes_total', 'Refresh attempts by kind and outcome: ok, or the wxtoken error code (every app, bounded labels).', ['kind', 'outcome']);
    const reports = counter(
      'wxtoken_invalidation_reports_total',
      'Reports of a rejected value by kind and result: refreshed (accepted), stale (ignored: no longer current) or throttled.',
      ['kind', 'result'],
    );
    const leaseWaits = counter('wxtoken_lease_waits_total', 'Refreshes that found the lease held by another instance and waited for its result, by kind.', ['kind']);
    const takeovers = counter(
      'wxtoken_lease_takeovers_total',
      'Refreshes redone because the instance that began one died holding the lease (reason `recovered`), by kind.',
      ['kind'],
    );
    this.#listen(events, 'refreshed', (e) => {
      refreshes.inc({ appid: app(e.appid), kind: e.kind, reason: e.reason });
      outcomes.inc({ kind: e.kind, outcome: 'ok' });
      if (e.reason === 'recovered') takeovers.inc({ kind: e.kind });
    });
    this.#listen(events, 'refresh_failed', (e) => {
      failures.inc({ appid: app(e.appid), kind: e.kind, code: e.code });
      outcomes.inc({ kind: e.kind, outcome: e.code });
    });
    this.#listen(events, 'invalidated', (e) => {
      invalidations.inc({ appid: app(e.appid), kind: e.kind, result: e.result });
      reports.inc({ kind: e.kind, result: e.result });
    });
    this.#listen(events, 'adopted', (e) => adoptions.inc({ appid: app(e.appid), kind: e.kind }));
    this.#listen(events, 'lease_waited', (e) => leaseWaits.inc({ kind: e.kind }));
  }

  #observeOps(ops: OpsEvents): void {
    const upstream = new Histogram({
      name: 'wxtoken_upstream_request_duration_seconds',
      help: 'Calls to WeChat by endpoint (a fixed list, else "(other)") and outcome (answered, or failed in transit), until the answer\'s headers.',
      labelNames: ['endpoint', 'outcome'] as const,
      buckets: UPSTREAM_BUCKETS,
      registers: [this.registry],
    });
    const storeErrors = new Counter({
      name: 'wxtoken_store_errors_total',
      help: 'Store calls that failed because the store could not be reached, by Store method.',
      labelNames: ['operation'] as const,
      registers: [this.registry],
    });
    this.#listenOps(ops, 'upstream_call', (e) => upstream.observe({ endpoint: e.endpoint, outcome: e.outcome }, e.durationMs / 1000));
    this.#listenOps(ops, 'store_error', (e) => storeErrors.inc({ operation: e.operation }));
  }

  /** Gauges computed from every credential's state at scrape time: O(credentials) per scrape, a few series per kind. */
  #credentialGauges(credentials: () => readonly CredentialState[], clock: Clock): void {
    const registers = [this.registry];
    const WITHIN = [60, 300, 1800];
    // The gauges of one scrape share one read of the states (they are collected one after the other, in order).
    let states: readonly CredentialState[] = [];
    new Gauge({
      name: 'wxtoken_credentials',
      help: 'Tracked credentials by kind and state (ok, pending, idle, retrying, failed).',
      labelNames: ['kind', 'state'] as const,
      registers,
      collect(this: PromGauge<'kind' | 'state'>) {
        this.reset();
        states = credentials();
        const counts = new Map<string, Map<string, number>>();
        for (const c of states) {
          const byState = counts.get(c.kind) ?? new Map<string, number>();
          counts.set(c.kind, byState);
          byState.set(c.state, (byState.get(c.state) ?? 0) + 1);
        }
        for (const [kind, byState] of counts) for (const [state, n] of byState) this.set({ kind, state }, n);
      },
    });
    new Gauge({
      name: 'wxtoken_credential_expiry_soonest_seconds',
      help: 'Seconds until the first held credential of each kind expires (negative: one has expired).',
      labelNames: ['kind'] as const,
      registers,
      collect(this: PromGauge<'kind'>) {
        this.reset();
        const now = clock.now();
        const first = new Map<string, number>();
        for (const c of states) if (c.tokenExpiresAt !== null) first.set(c.kind, Math.min(first.get(c.kind) ?? Infinity, c.tokenExpiresAt));
        for (const [kind, at] of first) this.set({ kind }, (at - now) / 1000);
      },
    });
    new Gauge({
      name: 'wxtoken_credentials_expiring',
      help: 'Held credentials of each kind expiring within `within` seconds (60, 300, 1800), cumulative.',
      labelNames: ['kind', 'within'] as const,
      registers,
      collect(this: PromGauge<'kind' | 'within'>) {
        this.reset();
        const now = clock.now();
        const counts = new Map<string, number[]>();
        for (const c of states) {
          const row = counts.get(c.kind) ?? WITHIN.map(() => 0);
          counts.set(c.kind, row);
          if (c.tokenExpiresAt === null) continue;
          WITHIN.forEach((seconds, i) => {
            if (c.tokenExpiresAt! - now <= seconds * 1000) row[i]!++;
          });
        }
        for (const [kind, row] of counts) WITHIN.forEach((seconds, i) => this.set({ kind, within: String(seconds) }, row[i]!));
      },
    });
  }

  /** Quota gauges: the highest share per quota over every app, and per-app use for apps past QUOTA_SERIES_FROM. */
  #quotaGauges(quota: () => readonly QuotaUsage[]): void {
    const registers = [this.registry];
    const app = (appid: string): string => this.appLabel(appid);
    const shown = (q: QuotaUsage): boolean => q.limit > 0 && q.used / q.limit >= QUOTA_SERIES_FROM;
    let readings: readonly QuotaUsage[] = [];
    new Gauge({
      name: 'wxtoken_quota_used',
      help: `Calls of a WeChat quota the hub counts (stable-token force refreshes) used today, for apps past ${QUOTA_SERIES_FROM * 100} % of it.`,
      labelNames: ['appid', 'api'] as const,
      registers,
      collect(this: PromGauge<'appid' | 'api'>) {
        this.reset();
        readings = quota();
        for (const q of readings) if (shown(q)) this.inc({ appid: app(q.appid), api: q.api }, q.used);
      },
    });
    new Gauge({
      name: 'wxtoken_quota_limit',
      help: 'The daily limit of each quota in wxtoken_quota_used.',
      labelNames: ['appid', 'api'] as const,
      registers,
      collect(this: PromGauge<'appid' | 'api'>) {
        this.reset();
        for (const q of readings) if (shown(q)) this.set({ appid: app(q.appid), api: q.api }, q.limit);
      },
    });
    new Gauge({
      name: 'wxtoken_quota_used_ratio_max',
      help: 'The highest used/limit share of each quota over every app.',
      labelNames: ['api'] as const,
      registers,
      collect(this: PromGauge<'api'>) {
        this.reset();
        const max = new Map<string, number>();
        for (const q of readings) if (q.limit > 0) max.set(q.api, Math.max(max.get(q.api) ?? 0, q.used / q.limit));
        for (const [api, ratio] of max) this.set({ api }, ratio);
      },
    });
  }

  #listenOps<K extends keyof OpsEventMap>(ops: OpsEvents, event: K, listener: (...args: OpsEventMap[K]) => void): void {
    ops.on(event, listener);
    this.#detach.push(() => ops.off(event, listener));
  }

  #listen<K extends keyof HubEventMap>(events: HubEvents, event: K, listener: (...args: HubEventMap[K]) => void): void {
    events.on(event, listener);
    this.#detach.push(() => events.off(event, listener));
  }
}
