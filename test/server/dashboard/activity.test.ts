import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { HubEvents } from '../../../src/core/token-service.js';
import { DashboardActivity, upstreamHealth, type ActivityEvent, type UpstreamObservations } from '../../../src/server/dashboard/activity.js';
import { ManualClock } from '../../../src/util/clock.js';

describe('upstreamHealth', () => {
  it.each<[string, UpstreamObservations, string]>([
    ['nothing seen yet', { lastOkAt: null, lastOutageAt: null, lastOutageCode: null }, 'unknown'],
    ['a success', { lastOkAt: 5, lastOutageAt: null, lastOutageCode: null }, 'ok'],
    ['an outage and no success', { lastOkAt: null, lastOutageAt: 5, lastOutageCode: 'upstream_unavailable' }, 'degraded'],
    ['an outage after the last success', { lastOkAt: 4, lastOutageAt: 5, lastOutageCode: 'upstream_unavailable' }, 'degraded'],
    ['a success after the last outage', { lastOkAt: 6, lastOutageAt: 5, lastOutageCode: 'upstream_unavailable' }, 'ok'],
  ])('%s: %s', (_name, seen, status) => {
    expect(upstreamHealth(seen).status).toBe(status);
  });
});

describe('DashboardActivity', () => {
  function setup() {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 10));
    const emitter = new EventEmitter();
    const activity = new DashboardActivity(clock, emitter as unknown as HubEvents);
    const seen: ActivityEvent[] = [];
    activity.subscribe((e) => seen.push(e));
    return { clock, emitter, activity, seen };
  }

  it('records own and adopted refreshes in the history and streams every event', () => {
    const { emitter, activity, seen, clock } = setup();
    emitter.emit('refreshed', { appid: 'wxa', kind: 'access_token', expiresAt: 0, durationMs: 1, reason: 'scheduled' });
    emitter.emit('adopted', { appid: 'wxb', kind: 'jsapi_ticket', expiresAt: 0 });
    emitter.emit('invalidated', { appid: 'wxa', kind: 'access_token', result: 'stale' });
    expect(seen.map((e) => `${e.type} ${e.key}`)).toEqual(['refreshed wxa:access_token', 'adopted wxb:jsapi_ticket', 'invalidated wxa:access_token']);
    expect(activity.history.series(clock.now()).refreshed.at(-1)).toBe(2);
    expect(activity.upstream().status).toBe('ok');
  });

  it('lists failures as recent errors; only transient upstream failures count against WeChat', () => {
    const { emitter, activity } = setup();
    emitter.emit('refresh_failed', { appid: 'wxa', kind: 'access_token', code: 'credentials_rejected', errcode: 40125, category: 'bad-credentials' });
    expect(activity.upstream().status).toBe('unknown');
    emitter.emit('refresh_failed', { appid: 'wxa', kind: 'access_token', code: 'store_unavailable', category: 'transient', retryAt: 1 });
    expect(activity.upstream().status).toBe('unknown');
    emitter.emit('refresh_failed', { appid: 'wxa', kind: 'access_token', code: 'upstream_unavailable', category: 'transient', retryAt: 1 });
    expect(activity.upstream()).toMatchObject({ status: 'degraded', lastOutageCode: 'upstream_unavailable' });
    expect(activity.history.recentErrors().map((e) => [e.code, e.final])).toEqual([
      ['upstream_unavailable', false],
      ['store_unavailable', false],
      ['credentials_rejected', true],
    ]);
  });

  it('a throwing stream does not keep the event from the others; detach stops listening', () => {
    const { emitter, activity, seen } = setup();
    activity.subscribe(() => {
      throw new Error('closed socket');
    });
    emitter.emit('adopted', { appid: 'wxb', kind: 'access_token', expiresAt: 0 });
    expect(seen).toHaveLength(1);
    activity.detach();
    emitter.emit('adopted', { appid: 'wxb', kind: 'access_token', expiresAt: 0 });
    expect(seen).toHaveLength(1);
    expect(emitter.listenerCount('adopted')).toBe(0);
  });
});
