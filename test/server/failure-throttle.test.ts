import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/util/clock.js';
import { addressKey, FailureThrottle } from '../../src/server/failure-throttle.js';

const start = Date.UTC(2026, 0, 1);

describe('FailureThrottle', () => {
  const make = (limit = 3, windowMs = 60_000, maxTracked = 100): { t: FailureThrottle; clock: ManualClock } => {
    const clock = new ManualClock(start);
    return { t: new FailureThrottle({ limit, windowMs, maxTracked, clock }), clock };
  };

  it('blocks an address at the limit-th failure in a window, for one window, reporting the trip once', async () => {
    const { t, clock } = make();
    expect([t.fail('a'), t.fail('a')]).toEqual([false, false]);
    expect(t.retryAfterMs('a')).toBe(0);
    expect(t.fail('a')).toBe(true);
    expect(t.retryAfterMs('a')).toBe(60_000);
    expect(t.retryAfterMs('b')).toBe(0);
    await clock.advance(59_000);
    expect(t.retryAfterMs('a')).toBe(1_000);
    await clock.advance(1_000);
    expect(t.retryAfterMs('a')).toBe(0);
    expect(t.size).toBe(0); // expired entries are dropped when seen
  });

  it('starts a new window once the old one is over', async () => {
    const { t, clock } = make();
    t.fail('a');
    t.fail('a');
    await clock.advance(60_000);
    expect([t.fail('a'), t.fail('a')]).toEqual([false, false]);
    expect(t.fail('a')).toBe(true);
  });

  it('forgets the least recently failing address beyond maxTracked', () => {
    const { t } = make(2, 60_000, 3);
    t.fail('a');
    t.fail('b');
    t.fail('c');
    t.fail('a'); // a is now the most recent, and blocked
    t.fail('d'); // b is forgotten
    expect(t.size).toBe(3);
    expect(t.retryAfterMs('a')).toBe(60_000);
    expect(t.fail('b')).toBe(false); // a fresh window for b
  });

  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['::1', '0:0:0:0::/64'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::9', '2001:db8:1:2::/64'],
    ['2001:DB8:0001:0002:ffff::1', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
  ])('keys %s as %s', (ip, key) => {
    expect(addressKey(ip)).toBe(key);
  });
});
