// bench:metrics — what a Prometheus scrape of /metrics costs as the number of credentials grows: a ServerMetrics
// (the hub's registry) given N apps × 3 credential kinds, each refreshed, failed, reported, adopted and read once,
// their states and quotas read at scrape time. For each N: the scrape's size (lines, bytes) and its duration over
// BENCH_METRICS_ROUNDS scrapes (median, min, max). In-process: no HTTP, so the figure is the registry's own work.
//
// env: BENCH_METRICS_SIZES (default 1000,10000,100000), BENCH_METRICS_ROUNDS (default 15).
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { machine, median, ROOT } from './lib.mjs';

const SIZES = (process.env.BENCH_METRICS_SIZES ?? '1000,10000,100000').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_METRICS_ROUNDS ?? 15);
const KINDS = ['access_token', 'jsapi_ticket', 'wx_card_ticket'];

const { ServerMetrics } = await import(`${ROOT}dist/server/metrics.js`);
const { OpsEmitter } = await import(`${ROOT}dist/core/ops-events.js`);

const appidOf = (i) => `wx${i.toString(16).padStart(16, '0')}`;

console.log(`bench:metrics on ${machine()}`);
console.log('| credentials | series (lines) | bytes | scrape median ms | min | max |');
console.log('|---|---|---|---|---|---|');
for (const apps of SIZES) {
  const now = Date.now();
  const states = [];
  const quota = [];
  for (let i = 0; i < apps; i++) {
    for (const kind of KINDS) {
      states.push({ key: `${appidOf(i)}:${kind}`, kind, appid: appidOf(i), state: i % 50 === 0 ? 'retrying' : 'ok', tokenExpiresAt: now + (i % 7200) * 1000, lastRefreshAt: now, nextAttemptAt: null, lastError: null });
    }
    quota.push({ appid: appidOf(i), api: 'stable_token_force', used: i % 21, limit: 20 });
  }
  const events = new EventEmitter();
  const ops = new OpsEmitter();
  const metrics = new ServerMetrics({ events, ops, credentials: () => states, quota: () => quota });
  for (let i = 0; i < apps; i++) {
    const appid = appidOf(i);
    for (const kind of KINDS) {
      events.emit('refreshed', { appid, kind, expiresAt: now + 7_200_000, durationMs: 80, reason: 'scheduled' });
      events.emit('refresh_failed', { appid, kind, code: 'upstream_unavailable', category: 'transient', retryAt: now + 1 });
      events.emit('invalidated', { appid, kind, result: 'stale' });
      events.emit('adopted', { appid, kind, expiresAt: now + 7_200_000 });
    }
    metrics.tokenRead(appid, 'v1');
    ops.emit('upstream_call', { endpoint: '/cgi-bin/token', durationMs: i % 500, outcome: 'answered' });
  }
  let text = '';
  const times = [];
  for (let r = 0; r < ROUNDS; r++) {
    const started = performance.now();
    text = await metrics.registry.metrics();
    times.push(performance.now() - started);
  }
  const lines = text.split('\n').filter((l) => l && !l.startsWith('#')).length;
  const fmt = (ms) => ms.toFixed(1);
  console.log(`| ${(apps * KINDS.length).toLocaleString('en')} | ${lines.toLocaleString('en')} | ${Buffer.byteLength(text).toLocaleString('en')} | ${fmt(median(times))} | ${fmt(Math.min(...times))} | ${fmt(Math.max(...times))} |`);
}
