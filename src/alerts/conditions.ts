import type { CredentialState } from '../core/token-service.js';
import type { Incident } from './incident.js';

/** A WeChat quota as the hub counts it: `used` of `limit` calls of `api` for `appid` today. */
export interface QuotaReading {
  readonly appid: string;
  /** The quota's name, e.g. `stable_token_force` or a cgi path. */
  readonly api: string;
  readonly used: number;
  readonly limit: number;
}

/** An Open Platform component's verify ticket age (the hook for when components land). */
export interface VerifyTicketReading {
  readonly componentAppid: string;
  /** When WeChat last pushed a verify ticket (epoch ms); null: never. */
  readonly receivedAt: number | null;
}

/** Everything the conditions are judged on, gathered by the alerter at one moment. */
export interface Observation {
  readonly now: number;
  readonly credentials: readonly CredentialState[];
  readonly quota: readonly QuotaReading[];
  readonly verifyTickets: readonly VerifyTicketReading[];
  /** Since when every upstream call seen has failed for transport reasons (upstream-health.ts); null: healthy. */
  readonly upstreamFailingSince: number | null;
}

/** Thresholds of the conditions. */
export interface ConditionThresholds {
  /** Fraction of a quota above which it alerts (default DEFAULT_QUOTA_THRESHOLD). */
  readonly quotaThreshold: number;
  /** How long WeChat must stay unreachable before it alerts (default DEFAULT_UPSTREAM_UNREACHABLE_MS). */
  readonly upstreamUnreachableMs: number;
  /** Age beyond which a verify ticket is stale (default DEFAULT_VERIFY_TICKET_STALE_MS). */
  readonly verifyTicketStaleMs: number;
}

/** 80 %: enough headroom to act (raise the quota, find the caller burning it) before calls are refused. */
export const DEFAULT_QUOTA_THRESHOLD = 0.8;
/**
 * 5 minutes: a refresh starts 5 minutes before a 7200 s token expires and is retried with backoff, so WeChat
 * unreachable for this long means tokens are about to lapse; shorter blips resolve themselves.
 */
export const DEFAULT_UPSTREAM_UNREACHABLE_MS = 5 * 60_000;
/** WeChat pushes a component verify ticket every 10 minutes and it is valid 12 hours; 30 minutes without one is news. */
export const DEFAULT_VERIFY_TICKET_STALE_MS = 30 * 60_000;

/**
 * The incidents open in an observation: every credential in `failed` (WeChat rejected its credentials; no automatic
 * retry), every quota above the threshold, WeChat unreachable for longer than allowed, every stale verify ticket.
 * The store's own outage is judged by the alerter (it cannot be read from the store). Pure.
 */
export function openIncidents(observation: Observation, thresholds: ConditionThresholds): Incident[] {
  const incidents: Incident[] = [];
  for (const c of observation.credentials) {
    if (c.state !== 'failed') continue;
    const errcode = c.lastError?.errcode === undefined ? '' : ` (errcode ${c.lastError.errcode})`;
    incidents.push({
      id: `credential_failed:${c.key}`,
      kind: 'credential_failed',
      subject: c.key,
      summary: `${c.key} failed: ${c.lastError?.code ?? 'unknown'}${errcode}; no automatic retry until the app is changed or a refresh is forced`,
    });
  }
  for (const q of observation.quota) {
    if (!(q.limit > 0) || q.used / q.limit <= thresholds.quotaThreshold) continue;
    incidents.push({
      id: `quota_high:${q.appid}:${q.api}`,
      kind: 'quota_high',
      subject: q.appid,
      summary: `${q.appid} used ${q.used} of ${q.limit} ${q.api} calls today (${Math.round((q.used / q.limit) * 100)} %, threshold ${Math.round(thresholds.quotaThreshold * 100)} %)`,
    });
  }
  const since = observation.upstreamFailingSince;
  if (since !== null && observation.now - since >= thresholds.upstreamUnreachableMs) {
    incidents.push({
      id: 'upstream_unreachable',
      kind: 'upstream_unreachable',
      subject: 'wechat',
      summary: `WeChat has been unreachable since ${new Date(since).toISOString()} (${Math.floor((observation.now - since) / 60_000)} min); held tokens are served until they expire`,
    });
  }
  for (const v of observation.verifyTickets) {
    if (v.receivedAt !== null && observation.now - v.receivedAt <= thresholds.verifyTicketStaleMs) continue;
    incidents.push({
      id: `verify_ticket_stale:${v.componentAppid}`,
      kind: 'verify_ticket_stale',
      subject: v.componentAppid,
      summary:
        v.receivedAt === null
          ? `component ${v.componentAppid} has received no verify ticket`
          : `component ${v.componentAppid} last received a verify ticket at ${new Date(v.receivedAt).toISOString()}`,
    });
  }
  return incidents;
}
