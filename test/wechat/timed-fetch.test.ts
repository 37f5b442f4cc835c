import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/util/clock.js';
import { endpointLabel, timedFetch } from '../../src/wechat/timed-fetch.js';

describe('endpointLabel', () => {
  it.each([
    ['https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid=wx&secret=S', '/cgi-bin/token'],
    ['http://127.0.0.1:9/prefix/cgi-bin/stable_token', '/cgi-bin/stable_token'],
    ['https://api.weixin.qq.com/cgi-bin/ticket/getticket?access_token=T&type=jsapi', '/cgi-bin/ticket/getticket'],
    ['https://api.weixin.qq.com/cgi-bin/menu/get?access_token=T', '(other)'],
    ['not a url', '(other)'],
  ])('%s → %s', (url, label) => {
    expect(endpointLabel(url)).toBe(label);
  });
});

describe('timedFetch', () => {
  it('reports answered and failed calls with their duration, and never the query', async () => {
    const clock = new ManualClock();
    const calls: unknown[] = [];
    const inner = (async (input: string | URL | Request) => {
      await clock.advance(120);
      if (String(input).includes('fail')) throw new TypeError('fetch failed');
      return new Response('{}');
    }) as typeof fetch;
    const fetch = timedFetch(inner, clock, (call) => calls.push(call));
    await fetch(new URL('https://api.weixin.qq.com/cgi-bin/token?secret=S'));
    await expect(fetch('https://api.weixin.qq.com/cgi-bin/stable_token?fail=1')).rejects.toThrow('fetch failed');
    expect(calls).toEqual([
      { endpoint: '/cgi-bin/token', durationMs: 120, outcome: 'answered' },
      { endpoint: '/cgi-bin/stable_token', durationMs: 120, outcome: 'failed' },
    ]);
  });
});
