import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/index.js';
import { DEFAULT_TIMEOUT_MS, DEFAULT_WECHAT_BASE_URL, DEFAULT_WECOM_BASE_URL, getAccessToken, resolveRequestOptions } from '../../src/wechat/index.js';
import { rejectionOf, SECRET } from './endpoints.js';
import { fakeFetch, jsonResponse } from './fake-fetch.js';

describe('request options', () => {
  it('defaults: WeChat host, 10 s timeout, global fetch, system clock', () => {
    const resolved = resolveRequestOptions({}, DEFAULT_WECHAT_BASE_URL);
    expect(resolved.baseUrl).toBe('https://api.weixin.qq.com');
    expect(resolved.timeoutMs).toBe(DEFAULT_TIMEOUT_MS);
    expect(DEFAULT_TIMEOUT_MS).toBe(10_000);
    expect(resolved.fetch).toBe(globalThis.fetch);
    expect(Math.abs(resolved.clock.now() - Date.now())).toBeLessThan(1_000);
    expect(DEFAULT_WECOM_BASE_URL).toBe('https://qyapi.weixin.qq.com');
  });

  it.each([
    [{ timeoutMs: 0 }, 'timeoutMs', '0'],
    [{ timeoutMs: -1 }, 'timeoutMs', '-1'],
    [{ timeoutMs: Number.NaN }, 'timeoutMs', 'NaN'],
    [{ timeoutMs: Number.POSITIVE_INFINITY }, 'timeoutMs', 'Infinity'],
    [{ baseUrl: 'not a url' }, 'baseUrl', '"not a url"'],
    [{ baseUrl: 'ftp://api.weixin.qq.com' }, 'baseUrl', 'ftp://'],
    [{ baseUrl: 'https://api.weixin.qq.com/?x=1' }, 'baseUrl', '?x=1'],
  ])('%o is refused with a ConfigError naming the option and value', async (options, option, value) => {
    const fake = fakeFetch(() => jsonResponse({ access_token: 'T', expires_in: 7200 }));
    const err = await rejectionOf(getAccessToken({ appid: 'wxapp1', secret: SECRET, fetch: fake.fetch, ...options }));
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain(option);
    expect((err as Error).message).toContain(value);
    expect(fake.calls).toHaveLength(0);
  });
});
