import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/index.js';
import { shanghaiDay, shanghaiMonth, WindowCounter } from '../../src/simulator/calendar.js';
import { FaultRegistry } from '../../src/simulator/faults.js';
import { createSimulator } from '../../src/simulator/index.js';
import { IpAllowList } from '../../src/simulator/ip-allow-list.js';
import { resolveSimulatorOptions } from '../../src/simulator/options.js';
import { RID_PATTERN, newRid } from '../../src/simulator/rid.js';
import { TOKEN_PATTERN, isWellFormedToken, newAccessToken, newTicket } from '../../src/simulator/token-shape.js';
import { seededRandom } from './helpers.js';

describe('token shape', () => {
  it('issues tokens like real ones and recognises only that shape', () => {
    const random = seededRandom(7);
    const token = newAccessToken(random);
    expect(token).toMatch(/^\d{2}_[A-Za-z0-9_-]{96}$/);
    expect(isWellFormedToken(token)).toBe(true);
    expect(isWellFormedToken(`74_${'a'.repeat(63)}`)).toBe(false);
    expect(isWellFormedToken(`7_${'a'.repeat(96)}`)).toBe(false);
    expect(isWellFormedToken(`74_${'a'.repeat(96)}=`)).toBe(false);
    expect(isWellFormedToken(`74_${'a'.repeat(510)}`)).toBe(false);
    expect(TOKEN_PATTERN.test(newTicket(random))).toBe(false);
    expect(newTicket(random)).toMatch(/^[A-Za-z0-9_-]{86}$/);
  });
});

describe('rid', () => {
  it('first group is the Unix time in hex, the others random', () => {
    const rid = newRid(1635156704_999, () => 0.5);
    expect(rid).toBe('617682e0-80000000-80000000');
    expect(RID_PATTERN.test(rid)).toBe(true);
    expect(newRid(0, () => 0)).toBe('00000000-00000000-00000000');
  });
});

describe('calendar', () => {
  it('days and months turn over at 00:00 Asia/Shanghai', () => {
    const midnightShanghai = Date.UTC(2026, 0, 1, 16, 0, 0);
    expect(shanghaiDay(midnightShanghai) - shanghaiDay(midnightShanghai - 1)).toBe(1);
    expect(shanghaiDay(Date.UTC(2026, 0, 2, 0, 0, 0))).toBe(shanghaiDay(midnightShanghai));
    expect(shanghaiMonth(Date.UTC(2026, 0, 31, 16)) - shanghaiMonth(Date.UTC(2026, 0, 31, 15, 59, 59))).toBe(1);
  });

  it('a window counter starts from zero in a new window and can be cleared', () => {
    const counter = new WindowCounter((now) => Math.floor(now / 10));
    expect(counter.tryTake(0, 2)).toBe(true);
    expect(counter.tryTake(5, 2)).toBe(true);
    expect(counter.tryTake(9, 2)).toBe(false);
    expect(counter.used(10)).toBe(0);
    expect(counter.tryTake(10, 2)).toBe(true);
    counter.reset();
    expect(counter.used(11)).toBe(0);
  });
});

describe('IP allow-list', () => {
  it('matches exact addresses, IPv4 CIDR and IPv4-mapped IPv6; empty allows all', () => {
    const list = new IpAllowList(['172.16.0.0/12', '8.8.8.8', '::1']);
    expect(list.allows('172.31.255.255')).toBe(true);
    expect(list.allows('172.32.0.1')).toBe(false);
    expect(list.allows('::ffff:8.8.8.8')).toBe(true);
    expect(list.allows('::1')).toBe(true);
    expect(list.allows('8.8.4.4')).toBe(false);
    expect(new IpAllowList([]).allows('1.1.1.1')).toBe(true);
    expect(new IpAllowList(['0.0.0.0/0']).allows('9.9.9.9')).toBe(true);
    expect(() => new IpAllowList(['10.0.0.0/33'])).toThrow(/bad IP allow-list entry/);
    expect(() => new IpAllowList(['10.0.0.*/8'])).toThrow(/bad IP allow-list entry/);
  });
});

describe('fault registry', () => {
  it('matches in order, counts down and honours appid', () => {
    const faults = new FaultRegistry();
    faults.add({ path: '/cgi-bin/token', mode: 'reset', appid: 'wxa' });
    faults.add({ path: '/cgi-bin/token', mode: 'errcode', count: 2 });
    expect(faults.take('/cgi-bin/token', 'wxb')?.mode).toBe('errcode');
    expect(faults.take('/cgi-bin/token', 'wxa')?.mode).toBe('reset');
    expect(faults.take('/cgi-bin/token', 'wxa')?.mode).toBe('errcode');
    expect(faults.take('/cgi-bin/token', 'wxa')).toBeUndefined();
    expect(faults.take('/cgi-bin/stable_token', undefined)).toBeUndefined();
  });
});

describe('options', () => {
  it('defaults are WeChat values, in milliseconds inside', () => {
    const o = resolveSimulatorOptions();
    expect(o).toMatchObject({
      tokenTtlMs: 7_200_000,
      graceMs: 300_000,
      stableWindowMs: 300_000,
      forceSpacingMs: 30_000,
      forceDailyLimit: 20,
      classicDailyQuota: 2000,
      stableMinuteQuota: 10_000,
      stableDailyQuota: 500_000,
      clearQuotaMonthlyLimit: 10,
      latencyMs: 0,
      wrongSecretErrcode: 40001,
    });
    expect(resolveSimulatorOptions({ tokenTtlSeconds: 1.5 }).tokenTtlMs).toBe(1500);
  });

  it('rejects bad values naming the option and value', () => {
    expect(() => resolveSimulatorOptions({ tokenTtlSeconds: 0 })).toThrow(/tokenTtlSeconds.*got 0/);
    expect(() => resolveSimulatorOptions({ graceSeconds: -1 })).toThrow(/graceSeconds.*got -1/);
    expect(() => resolveSimulatorOptions({ latencyMs: Number.NaN })).toThrow(/latencyMs.*NaN/);
    expect(() => resolveSimulatorOptions({ classicDailyQuota: 1.5 })).toThrow(/classicDailyQuota.*1\.5/);
    expect(() => resolveSimulatorOptions({ wrongSecretErrcode: 40002 as 40001 })).toThrow(ConfigError);
    expect(() => createSimulator({ apps: [{ appid: 'bad id', secret: 'x' }] })).toThrow(ConfigError);
  });
});
