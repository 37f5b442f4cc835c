import { shanghaiDay } from '../core/refresh-policy.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { QuotaReading } from './conditions.js';

/** One quota to watch: an app and the cgi path whose daily quota `openapi/quota/get` reports. */
export interface QuotaTarget {
  readonly appid: string;
  readonly cgiPath: string;
}

/** Options of a QuotaPoller; durations in milliseconds. */
export interface QuotaPollerOptions {
  /** The quotas to watch, read at each poll (say, every app's token endpoint). */
  readonly targets: () => Promise<readonly QuotaTarget[]>;
  /** Today's use and limit of `cgiPath` for `appid` (getApiQuota with the app's access token). */
  readonly fetchQuota: (appid: string, cgiPath: string) => Promise<{ used: number; dailyLimit: number }>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Quota calls per poll at most (default DEFAULT_QUOTA_CALLS_PER_POLL). */
  readonly callsPerPoll?: number;
  /** A reading younger than this is not asked again (default DEFAULT_QUOTA_MAX_AGE_MS). */
  readonly maxAgeMs?: number;
}

/**
 * 5 calls a poll: with a poll every alert round (10 s) at most one quota call every 2 s, whatever the number of apps,
 * so watching quotas never becomes a load on WeChat or on the quota of quota/get itself.
 */
export const DEFAULT_QUOTA_CALLS_PER_POLL = 5;
/** 10 minutes: a quota climbs by the day; a reading this old is still a good guide. */
export const DEFAULT_QUOTA_MAX_AGE_MS = 10 * 60_000;

/**
 * Reads WeChat's own count of daily quotas (`openapi/quota/get`) for a list of app and path pairs, a few per poll,
 * oldest reading first, and keeps the latest reading of each for today (Beijing time). Only the fleet's alert sender
 * polls (the alerter calls `poll` at the start of its rounds), so a fleet asks once, not once per instance.
 */
export class QuotaPoller {
  readonly #o: QuotaPollerOptions;
  readonly #callsPerPoll: number;
  readonly #maxAgeMs: number;
  readonly #readings = new Map<string, QuotaReading & { at: number }>();

  constructor(options: QuotaPollerOptions) {
    this.#o = options;
    this.#callsPerPoll = options.callsPerPoll ?? DEFAULT_QUOTA_CALLS_PER_POLL;
    this.#maxAgeMs = options.maxAgeMs ?? DEFAULT_QUOTA_MAX_AGE_MS;
  }

  /** Asks for the quotas whose reading is missing or oldest, at most callsPerPoll of them. Never rejects. */
  async poll(): Promise<void> {
    const now = this.#o.clock.now();
    let targets: readonly QuotaTarget[];
    try {
      targets = await this.#o.targets();
    } catch {
      return;
    }
    const wanted = new Set(targets.map(keyOf));
    for (const key of this.#readings.keys()) if (!wanted.has(key)) this.#readings.delete(key);
    const due = targets
      .filter((t) => {
        const reading = this.#readings.get(keyOf(t));
        return reading === undefined || now - reading.at >= this.#maxAgeMs || shanghaiDay(reading.at) !== shanghaiDay(now);
      })
      .sort((x, y) => (this.#readings.get(keyOf(x))?.at ?? -Infinity) - (this.#readings.get(keyOf(y))?.at ?? -Infinity))
      .slice(0, this.#callsPerPoll);
    for (const target of due) {
      try {
        const quota = await this.#o.fetchQuota(target.appid, target.cgiPath);
        this.#readings.set(keyOf(target), { appid: target.appid, api: target.cgiPath, used: quota.used, limit: quota.dailyLimit, at: this.#o.clock.now() });
      } catch (err) {
        // Logged without the error's message: it may quote a URL; the code and path are enough to act on.
        this.#o.logger.warn({ appid: target.appid, cgiPath: target.cgiPath, err: err instanceof Error ? err.name : 'error' }, 'could not read a WeChat quota');
      }
    }
  }

  /** Today's readings (a reading from an earlier Beijing day is no longer today's count). */
  readings(): QuotaReading[] {
    const today = shanghaiDay(this.#o.clock.now());
    return [...this.#readings.values()].filter((r) => shanghaiDay(r.at) === today).map(({ appid, api, used, limit }) => ({ appid, api, used, limit }));
  }
}

function keyOf(target: QuotaTarget): string {
  return `${target.appid} ${target.cgiPath}`;
}
