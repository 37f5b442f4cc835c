import { describe, expect, it } from 'vitest';
import { WeChatError } from '../../src/errors/index.js';
import { getAccessToken, getCallbackIp, getTicket, getWeComToken } from '../../src/wechat/index.js';
import { ACCESS_TOKEN, ENDPOINTS, rejectionOf, SECRET } from './endpoints.js';
import { fakeFetch, jsonResponse, textResponse } from './fake-fetch.js';

const RID = '66b5fb8f-5e3c0071-3d7f539a';

// errcode, errmsg as WeChat words it, category on a credential endpoint, category on a call made with a token.
const CODES = [
  [-1, 'system error', 'transient', 'transient'],
  [40001, 'invalid credential, access_token is invalid or not latest', 'bad-credentials', 'token-invalid'],
  [40002, 'invalid grant_type', 'caller-bug', 'caller-bug'],
  [40013, 'invalid appid', 'bad-credentials', 'bad-credentials'],
  [40014, 'invalid access_token', 'token-invalid', 'token-invalid'],
  [40091, 'secret is invalid', 'bad-credentials', 'bad-credentials'],
  [40125, 'invalid appsecret', 'bad-credentials', 'bad-credentials'],
  [40164, 'invalid ip 47.94.148.108 ipv6 ::ffff:47.94.148.108, not in whitelist', 'bad-credentials', 'bad-credentials'],
  [40243, 'AppSecret is frozen', 'needs-admin', 'needs-admin'],
  [41001, 'access_token missing', 'caller-bug', 'caller-bug'],
  [41002, 'appid missing', 'caller-bug', 'caller-bug'],
  [41004, 'appsecret missing', 'caller-bug', 'caller-bug'],
  [42001, 'access_token expired', 'token-invalid', 'token-invalid'],
  [43002, 'require POST method', 'caller-bug', 'caller-bug'],
  [45009, 'reach max api daily quota limit', 'quota', 'quota'],
  [45011, 'api minute-quota reach limit mustslower retry next minute', 'quota', 'quota'],
  [45033, 'api concurrent out of limit', 'transient', 'transient'],
  [48001, 'api unauthorized', 'needs-admin', 'needs-admin'],
  [48006, 'forbid to clear quota because of reaching the limit', 'quota', 'quota'],
  [50004, 'user not allow to use accesstoken, maybe for punishment', 'needs-admin', 'needs-admin'],
  [60020, 'not allow to access from your ip', 'bad-credentials', 'bad-credentials'],
  [61024, 'must use api(api_component_token) to get token for component acct', 'bad-credentials', 'bad-credentials'],
  [76003, 'invalid cgi_path', 'caller-bug', 'caller-bug'],
  [89503, '此次调用需要管理员确认，请耐心等候', 'needs-admin', 'needs-admin'],
  [99999, 'something new', 'transient', 'transient'],
] as const;

describe('WeChat errcodes become WeChatError', () => {
  describe.each(ENDPOINTS)('$name', ({ call, path, kind }) => {
    it.each(CODES)('errcode %i → category by endpoint kind, with errmsg and rid', async (errcode, text, onToken, onBusiness) => {
      const errmsg = `${text} rid: ${RID}`;
      const fake = fakeFetch(() => jsonResponse({ errcode, errmsg }));
      const err = await rejectionOf(call({ fetch: fake.fetch }));
      expect(err).toBeInstanceOf(WeChatError);
      const e = err as WeChatError;
      expect(e).toMatchObject({ errcode, errmsg, rid: RID, endpoint: path, code: 'wechat_error' });
      expect(e.category).toBe(kind === 'token' ? onToken : onBusiness);
      expect(e.retryable).toBe(e.category === 'transient');
      expect(e.message).toContain(String(errcode));
    });
  });

  it('40001 is a bad secret on /cgi-bin/token and a stale token on getticket and the business probes', async () => {
    const answer = fakeFetch(() => jsonResponse({ errcode: 40001, errmsg: 'invalid credential' }));
    const fromToken = (await rejectionOf(getAccessToken({ appid: 'wxapp1', secret: SECRET, fetch: answer.fetch }))) as WeChatError;
    const fromWeCom = (await rejectionOf(getWeComToken({ corpid: 'ww1', corpsecret: SECRET, fetch: answer.fetch }))) as WeChatError;
    const fromTicket = (await rejectionOf(getTicket({ accessToken: ACCESS_TOKEN, type: 'jsapi', fetch: answer.fetch }))) as WeChatError;
    const fromProbe = (await rejectionOf(getCallbackIp({ accessToken: ACCESS_TOKEN, fetch: answer.fetch }))) as WeChatError;
    expect([fromToken.category, fromWeCom.category, fromTicket.category, fromProbe.category]).toEqual([
      'bad-credentials',
      'bad-credentials',
      'token-invalid',
      'token-invalid',
    ]);
  });

  it("parses both rid separators and WeCom's hint, and tolerates errmsgs without one or without errmsg at all", async () => {
    const cases: Array<[unknown, string | undefined, string]> = [
      [`invalid appsecret, rid: ${RID}`, RID, `invalid appsecret, rid: ${RID}`],
      [`system error rid: ${RID}`, RID, `system error rid: ${RID}`],
      ['api freq out of limit, hint: [1651125626252370061579454], from ip: 122.14.234.1, more info at https://open.work.weixin.qq.com/devtool/query?e=45009', '1651125626252370061579454', 'api freq out of limit, hint: [1651125626252370061579454], from ip: 122.14.234.1, more info at https://open.work.weixin.qq.com/devtool/query?e=45009'],
      ['api freq out of limit', undefined, 'api freq out of limit'],
      [undefined, undefined, ''],
      [42, undefined, ''],
    ];
    for (const [errmsg, rid, expected] of cases) {
      const fake = fakeFetch(() => jsonResponse({ errcode: 45009, errmsg }));
      const err = (await rejectionOf(getAccessToken({ appid: 'wxapp1', secret: SECRET, fetch: fake.fetch }))) as WeChatError;
      expect(err).toBeInstanceOf(WeChatError);
      expect(err.rid).toBe(rid);
      expect(err.errmsg).toBe(expected);
    }
  });

  it('reads an error JSON body served as text/plain (WeChat does this)', async () => {
    const fake = fakeFetch(() => textResponse(`{"errcode":41002,"errmsg":"appid missing rid: ${RID}"}`, 200, 'text/plain'));
    const err = await rejectionOf(getAccessToken({ appid: '', secret: SECRET, fetch: fake.fetch }));
    expect(err).toMatchObject({ errcode: 41002, rid: RID, category: 'caller-bug' });
  });
});
