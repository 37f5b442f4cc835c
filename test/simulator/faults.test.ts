import { describe, expect, it } from 'vitest';
import { FaultRegistry } from '../../src/simulator/faults.js';

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
