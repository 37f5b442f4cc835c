import { describe, expect, it } from 'vitest';
import { IpAllowList } from '../../src/simulator/ip-allow-list.js';

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
