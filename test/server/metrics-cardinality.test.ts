import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { OpsEmitter } from '../../src/core/ops-events.js';
import type { CredentialState, HubEventMap } from '../../src/core/token-service.js';
import { DEFAULT_METRICS_APP_LIMIT, OTHER_APPS, ServerMetrics, type QuotaUsage } from '../../src/server/metrics.js';
import { ManualClock } from '../../src/util/clock.js';

const NOW = Date.UTC(2026, 5, 1, 12);
const KINDS = ['access_token', 'jsapi_ticket', 'authorizer_access_token'];

const appid = (i: number): string => `wx${i.toString(16).padStart(16, '0')}`;

/** The samples of a scrape (lines that are not comments). */
function series(text: string): string[] {
  return text.split('\n').filter((l) => l.length > 0 && !l.startsWith('#'));
}

/**
 * Everything that can happen to `apps` credentials of three kinds, once each: refreshed, failed, reported,
 * adopted, waited on a lease, read by a caller; their states and quotas at scrape time.
 */
async function scrape(apps: number): Promise<string> {
  const clock = new ManualClock(NOW);
  const events = new EventEmitter<HubEventMap>();
  const ops = new OpsEmitter();
  const states: CredentialState[] = [];
  const quota: QuotaUsage[] = [];
  for (let i = 0; i < apps; i++) {
    for (const kind of KINDS) {
      states.push({ key: `${appid(i)}:${kind}`, kind, appid: appid(i), state: i % 7 === 0 ? 'failed' : 'ok', tokenExpiresAt: NOW + (i % 7200) * 1000, lastRefreshAt: NOW, nextAttemptAt: null, lastError: null });
    }
    quota.push({ appid: appid(i), api: 'stable_token_force', used: i % 21, limit: 20 });
  }
  const metrics = new ServerMetrics({ events, ops, credentials: () => states, quota: () => quota, clock });
  for (let i = 0; i < apps; i++) {
    for (const kind of KINDS) {
      const id = appid(i);
      events.emit('refreshed', { appid: id, kind, expiresAt: NOW + 7_200_000, durationMs: 80, reason: i % 2 ? 'scheduled' : 'recovered' });
      events.emit('refresh_failed', { appid: id, kind, code: 'upstream_unavailable', category: 'transient', retryAt: NOW + 1 });
      events.emit('invalidated', { appid: id, kind, result: i % 2 ? 'stale' : 'refreshed' });
      events.emit('adopted', { appid: id, kind, expiresAt: NOW + 7_200_000 });
      events.emit('lease_waited', { appid: id, kind });
    }
    metrics.tokenRead(appid(i), i % 2 ? 'v1' : 'compat');
    ops.emit('upstream_call', { endpoint: '/cgi-bin/token', durationMs: i % 900, outcome: 'answered' });
    ops.emit('store_error', { operation: 'getCredential' });
  }
  return metrics.registry.metrics();
}

describe('metric cardinality', () => {
  it('stays bounded with 100,000 authorizers: no more series than with a few thousand', async () => {
    const few = series(await scrape(2 * DEFAULT_METRICS_APP_LIMIT));
    const many = series(await scrape(100_000));
    expect(many.length).toBe(few.length);
    // Per-app series for the first DEFAULT_METRICS_APP_LIMIT appids, the rest under one label; a few thousand lines.
    expect(many.length).toBeLessThan(25 * DEFAULT_METRICS_APP_LIMIT);
    expect(many.some((l) => l.includes(`appid="${OTHER_APPS}"`))).toBe(true);
    expect(many.some((l) => l.includes(`appid="${appid(DEFAULT_METRICS_APP_LIMIT + 1)}"`))).toBe(false);
  }, 60_000);

  it('keeps complete counts in the per-kind series however many apps share (other)', async () => {
    const text = await scrape(3 * DEFAULT_METRICS_APP_LIMIT);
    const total = 3 * DEFAULT_METRICS_APP_LIMIT;
    expect(text).toContain(`wxtoken_refresh_outcomes_total{kind="access_token",outcome="ok"} ${total}`);
    expect(text).toContain(`wxtoken_refresh_outcomes_total{kind="access_token",outcome="upstream_unavailable"} ${total}`);
    expect(text).toContain(`wxtoken_invalidation_reports_total{kind="jsapi_ticket",result="stale"} ${total / 2}`);
    expect(text).toContain(`wxtoken_lease_waits_total{kind="access_token"} ${total}`);
    expect(text).toContain(`wxtoken_lease_takeovers_total{kind="access_token"} ${total / 2}`);
    expect(text).toContain(`wxtoken_credentials{kind="access_token",state="failed"} ${Math.ceil(total / 7)}`);
    expect(text).toContain(`wxtoken_credentials{kind="access_token",state="ok"} ${total - Math.ceil(total / 7)}`);
    expect(text).toContain('wxtoken_credential_expiry_soonest_seconds{kind="access_token"} 0');
    expect(text).toContain('wxtoken_credentials_expiring{kind="access_token",within="60"}');
    expect(text).toContain(`wxtoken_upstream_request_duration_seconds_count{endpoint="/cgi-bin/token",outcome="answered"} ${total}`);
    expect(text).toContain(`wxtoken_store_errors_total{operation="getCredential"} ${total}`);
    expect(text).toContain('wxtoken_quota_used_ratio_max{api="stable_token_force"} 1');
    // Only apps past half their quota get per-app quota series.
    expect(text).toContain(`wxtoken_quota_used{appid="${appid(20)}",api="stable_token_force"} 20`);
    expect(text).not.toContain(`wxtoken_quota_used{appid="${appid(1)}",`);
    // The token reads of the apps beyond the limit add up under (other).
    const other = series(text).filter((l) => l.startsWith(`wxtoken_token_reads_total{appid="${OTHER_APPS}"`));
    expect(other.reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0)).toBe(total - DEFAULT_METRICS_APP_LIMIT);
  }, 60_000);
});
