/** One hour per bucket: the chart's resolution. */
export const HISTORY_BUCKET_MS = 3_600_000;
/** 24 buckets: the last 24 hours, as the dashboard charts them. */
export const HISTORY_BUCKETS = 24;
/**
 * Credentials whose history is kept at once (about 250 bytes each): 100,000 authorizers fit in about 25 MB. Past
 * it, the credential idle longest is forgotten first; the fleet-wide series is kept whatever happens.
 */
export const DEFAULT_MAX_TRACKED_CREDENTIALS = 100_000;
/** Recent errors kept for the dashboard's list. */
export const DEFAULT_MAX_RECENT_ERRORS = 50;
/** WeChat's daily quotas reset at midnight Asia/Shanghai (UTC+8, no daylight saving). */
const SHANGHAI_OFFSET_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;

/** Refreshes and failed attempts per bucket, oldest bucket first; `start` is the first bucket's start (epoch ms). */
export interface HistorySeries {
  readonly start: number;
  readonly bucketMs: number;
  readonly refreshed: readonly number[];
  readonly failed: readonly number[];
}

/** A failed refresh as the dashboard lists it: no value, no secret, no message from WeChat beyond its code. */
export interface RecentError {
  readonly at: number;
  readonly key: string;
  readonly kind: string;
  readonly code: string;
  readonly errcode?: number;
  readonly category: string;
  /** Whether the hub gave up (`failed`) rather than scheduling a retry. */
  readonly final: boolean;
}

/** The start (epoch ms) of the WeChat quota day containing `now`: the last midnight in Asia/Shanghai. */
export function quotaDayStart(now: number): number {
  return Math.floor((now + SHANGHAI_OFFSET_MS) / DAY_MS) * DAY_MS - SHANGHAI_OFFSET_MS;
}

/** A ring of hourly buckets: slot i holds the counts of the hour whose index is stamped in `hours[i]`. */
class Buckets {
  readonly hours = new Float64Array(HISTORY_BUCKETS).fill(-1);
  readonly refreshed = new Uint32Array(HISTORY_BUCKETS);
  readonly failed = new Uint32Array(HISTORY_BUCKETS);

  add(hour: number, outcome: 'refreshed' | 'failed'): void {
    const slot = hour % HISTORY_BUCKETS;
    if (this.hours[slot] !== hour) {
      this.hours[slot] = hour;
      this.refreshed[slot] = 0;
      this.failed[slot] = 0;
    }
    this[outcome][slot]! += 1;
  }

  series(currentHour: number): HistorySeries {
    const refreshed: number[] = [];
    const failed: number[] = [];
    for (let hour = currentHour - HISTORY_BUCKETS + 1; hour <= currentHour; hour++) {
      const slot = hour % HISTORY_BUCKETS;
      const live = this.hours[slot] === hour;
      refreshed.push(live ? this.refreshed[slot]! : 0);
      failed.push(live ? this.failed[slot]! : 0);
    }
    return { start: (currentHour - HISTORY_BUCKETS + 1) * HISTORY_BUCKET_MS, bucketMs: HISTORY_BUCKET_MS, refreshed, failed };
  }

  /** Attempts (refreshes and failures) in buckets starting at or after `since`, within the ring. */
  attemptsSince(since: number, currentHour: number): number {
    let n = 0;
    for (let slot = 0; slot < HISTORY_BUCKETS; slot++) {
      const hour = this.hours[slot]!;
      if (hour > currentHour - HISTORY_BUCKETS && hour * HISTORY_BUCKET_MS >= since) n += this.refreshed[slot]! + this.failed[slot]!;
    }
    return n;
  }
}

/** Options of RefreshHistory; every field has a documented default. */
export interface RefreshHistoryOptions {
  /** Default DEFAULT_MAX_TRACKED_CREDENTIALS. */
  maxCredentials?: number;
  /** Default DEFAULT_MAX_RECENT_ERRORS. */
  maxErrors?: number;
}

/**
 * What this instance has seen of refreshes over the last 24 hours, per credential and fleet-wide, in fixed-size
 * hourly rings (memory bounded by maxCredentials), and the most recent failures. It counts the hub's own refreshes
 * and those it adopted from other instances, so every instance of a fleet charts the fleet's refreshes; a failure
 * on another instance is not seen (it writes no new value). Times are passed in: no clock, no timers.
 */
export class RefreshHistory {
  readonly #fleet = new Buckets();
  // Insertion order is recency order: a credential is re-inserted on every record, so the first is idlest.
  readonly #byKey = new Map<string, Buckets>();
  readonly #errors: RecentError[] = [];
  readonly #maxCredentials: number;
  readonly #maxErrors: number;

  constructor(options: RefreshHistoryOptions = {}) {
    this.#maxCredentials = options.maxCredentials ?? DEFAULT_MAX_TRACKED_CREDENTIALS;
    this.#maxErrors = options.maxErrors ?? DEFAULT_MAX_RECENT_ERRORS;
  }

  /** Records a new value of `key` obtained (here or by another instance) at `at`. */
  refreshed(key: string, at: number): void {
    this.#add(key, at, 'refreshed');
  }

  /** Records a failed attempt and keeps it among the recent errors. */
  failed(error: RecentError): void {
    this.#add(error.key, error.at, 'failed');
    this.#errors.unshift(error);
    if (this.#errors.length > this.#maxErrors) this.#errors.length = this.#maxErrors;
  }

  /** The last 24 hours ending with the hour of `now`: of one credential, or of the whole fleet when `key` is omitted. */
  series(now: number, key?: string): HistorySeries {
    const hour = Math.floor(now / HISTORY_BUCKET_MS);
    const buckets = key === undefined ? this.#fleet : this.#byKey.get(key);
    return (buckets ?? new Buckets()).series(hour);
  }

  /**
   * Upstream calls for `key` this WeChat day (since midnight Asia/Shanghai) as far as this instance saw them:
   * the hub's own count of what WeChat's daily quota charges.
   */
  callsToday(key: string, now: number): number {
    return this.#byKey.get(key)?.attemptsSince(quotaDayStart(now), Math.floor(now / HISTORY_BUCKET_MS)) ?? 0;
  }

  /** callsToday summed per kind name over every credential with history. */
  callsTodayByKind(now: number): Record<string, number> {
    const since = quotaDayStart(now);
    const hour = Math.floor(now / HISTORY_BUCKET_MS);
    const out: Record<string, number> = {};
    for (const [key, buckets] of this.#byKey) {
      const kind = key.slice(key.lastIndexOf(':') + 1);
      const n = buckets.attemptsSince(since, hour);
      if (n > 0) out[kind] = (out[kind] ?? 0) + n;
    }
    return out;
  }

  /** The most recent failures, newest first. */
  recentErrors(): readonly RecentError[] {
    return this.#errors;
  }

  /** How many credentials have history (bounded by maxCredentials). */
  get size(): number {
    return this.#byKey.size;
  }

  #add(key: string, at: number, outcome: 'refreshed' | 'failed'): void {
    const hour = Math.floor(at / HISTORY_BUCKET_MS);
    this.#fleet.add(hour, outcome);
    let buckets = this.#byKey.get(key);
    if (buckets) this.#byKey.delete(key);
    else {
      buckets = new Buckets();
      if (this.#byKey.size >= this.#maxCredentials) this.#byKey.delete(this.#byKey.keys().next().value!);
    }
    this.#byKey.set(key, buckets);
    buckets.add(hour, outcome);
  }
}
