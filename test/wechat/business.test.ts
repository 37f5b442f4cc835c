import { describe, expect, it } from 'vitest';
import { getApiDomainIp, getCallbackIp, getMenu } from '../../src/wechat/index.js';
import { ACCESS_TOKEN } from './endpoints.js';
import { fakeFetch, jsonResponse } from './fake-fetch.js';

describe('business probes', () => {
  it.each([
    ['getcallbackip', getCallbackIp, '/cgi-bin/getcallbackip'],
    ['get_api_domain_ip', getApiDomainIp, '/cgi-bin/get_api_domain_ip'],
  ] as const)('%s: GET with the token, returns the ip_list', async (_name, fn, path) => {
    const fake = fakeFetch(() => jsonResponse({ ip_list: ['106.55.206.146', '101.226.103.0/25'] }));
    await expect(fn({ accessToken: ACCESS_TOKEN, fetch: fake.fetch })).resolves.toEqual(['106.55.206.146', '101.226.103.0/25']);
    const [call] = fake.calls;
    expect(call?.method).toBe('GET');
    expect(`${call?.url.origin}${call?.url.pathname}`).toBe(`https://api.weixin.qq.com${path}`);
    expect(Object.fromEntries(call?.url.searchParams ?? [])).toEqual({ access_token: ACCESS_TOKEN });
  });

  it('menu/get: GET with the token, returns the menu body as WeChat sent it', async () => {
    const menu = { menu: { button: [{ type: 'click', name: '今日歌曲', key: 'V1001_TODAY_MUSIC', sub_button: [] }], menuid: 208396938 } };
    const fake = fakeFetch(() => jsonResponse(menu));
    await expect(getMenu({ accessToken: ACCESS_TOKEN, fetch: fake.fetch })).resolves.toEqual(menu);
    const [call] = fake.calls;
    expect(`${call?.url.origin}${call?.url.pathname}`).toBe('https://api.weixin.qq.com/cgi-bin/menu/get');
    expect(Object.fromEntries(call?.url.searchParams ?? [])).toEqual({ access_token: ACCESS_TOKEN });
  });
});
