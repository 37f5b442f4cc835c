// Merge of issues 11 and 14/WeCom: the passthrough sends a call made with a WeCom token the hub issued to WeCom's
// host through the healing forwarder, and heals WeCom's rejection of it through the WeCom app's own invalidation.
import { afterEach, describe, expect, it } from 'vitest';
import type { IssuedToken, WeComService } from '../../src/core/token-service.js';
import { APPID, setup, type Harness } from './helpers.js';
import { startUpstreamStub, type UpstreamStub } from './upstream-stub.js';

const CORPID = 'ww0123456789abcdef';
const AGENT = '1000002';

/** The part of WeComService the passthrough uses: the app's current token, and its invalidation by comparison. */
class FakeWeCom {
  current = 'wecom-token-1';
  readonly invalidated: Array<[string, string, string]> = [];
  agentOfToken(token: string): { corpid: string; agent: string } | undefined {
    return token === this.current ? { corpid: CORPID, agent: AGENT } : undefined;
  }
  async invalidate(corpid: string, agent: string, badToken: string): Promise<IssuedToken> {
    this.invalidated.push([corpid, agent, badToken]);
    if (badToken === this.current) this.current = `wecom-token-${Number(this.current.slice('wecom-token-'.length)) + 1}`;
    return { token: this.current, expiresAt: Date.UTC(2026, 0, 1, 2, 0, 0) };
  }
}

const json = (body: unknown) => Buffer.from(JSON.stringify(body));

describe('the passthrough with WeCom tokens', () => {
  let wechat: UpstreamStub;
  let wecomHost: UpstreamStub;
  let h: Harness;
  let wecom: FakeWeCom;

  async function start(): Promise<void> {
    wechat = await startUpstreamStub();
    wecomHost = await startUpstreamStub();
    wecom = new FakeWeCom();
    h = await setup({ upstreamBaseUrl: wechat.baseUrl, wecomUpstreamBaseUrl: wecomHost.baseUrl });
    Object.defineProperty(h.service, 'wecom', { value: wecom as unknown as WeComService });
  }

  afterEach(async () => {
    await h.app.close();
    await wechat.close();
    await wecomHost.close();
  });

  it('sends a call with a hub-issued WeCom token to WeCom\'s host, any other to WeChat\'s', async () => {
    await start();
    const viaWeCom = await h.app.inject({ url: '/cgi-bin/user/get?access_token=wecom-token-1&userid=zhangsan' });
    expect(viaWeCom.json()).toEqual({ errcode: 0, errmsg: 'ok' });
    expect(wecomHost.received.map((r) => r.url)).toEqual(['/cgi-bin/user/get?access_token=wecom-token-1&userid=zhangsan']);

    const { token } = await h.service.getAccessToken(APPID);
    await h.app.inject({ url: `/cgi-bin/menu/get?access_token=${token}` });
    await h.app.inject({ url: '/cgi-bin/menu/get?access_token=not-the-hubs' });
    expect(wechat.received.map((r) => r.url)).toEqual([`/cgi-bin/menu/get?access_token=${token}`, '/cgi-bin/menu/get?access_token=not-the-hubs']);
    expect(wecomHost.received).toHaveLength(1);
  });

  it('heals WeCom\'s rejection: invalidates the WeCom app\'s token and replays once, at WeCom\'s host', async () => {
    await start();
    wecomHost.respond = (req, reply) =>
      reply
        .header('content-type', 'application/json')
        .send(req.url.includes('access_token=wecom-token-1') ? json({ errcode: 42001, errmsg: 'access_token expired' }) : json({ errcode: 0, errmsg: 'ok', userid: 'zhangsan' }));
    const res = await h.app.inject({
      method: 'POST',
      url: '/cgi-bin/message/send?access_token=wecom-token-1',
      headers: { 'content-type': 'application/json' },
      payload: '{"touser":"zhangsan"}',
    });
    expect(res.json()).toEqual({ errcode: 0, errmsg: 'ok', userid: 'zhangsan' });
    expect(wecom.invalidated).toEqual([[CORPID, AGENT, 'wecom-token-1']]);
    expect(wecomHost.received.map((r) => r.url)).toEqual(['/cgi-bin/message/send?access_token=wecom-token-1', '/cgi-bin/message/send?access_token=wecom-token-2']);
    expect(wecomHost.received.map((r) => r.body.toString())).toEqual(['{"touser":"zhangsan"}', '{"touser":"zhangsan"}']);
    // The WeChat side is never asked: no WeChat invalidation, nothing sent to WeChat's host.
    expect(h.service.calls.filter((c) => c.method === 'invalidate')).toEqual([]);
    expect(wechat.received).toEqual([]);
  });

  it('replays at most once: a second rejection goes back as WeCom gave it', async () => {
    await start();
    wecomHost.respond = (_req, reply) => reply.header('content-type', 'application/json').send(json({ errcode: 40014, errmsg: 'invalid access_token' }));
    const res = await h.app.inject({ url: '/cgi-bin/user/get?access_token=wecom-token-1&userid=zhangsan' });
    expect(res.json()).toEqual({ errcode: 40014, errmsg: 'invalid access_token' });
    expect(wecomHost.received).toHaveLength(2);
    expect(wecom.invalidated).toHaveLength(1);
  });

  it('refuses a client key in the query before anything is healed or forwarded', async () => {
    await start();
    const res = await h.app.inject({ url: `/cgi-bin/user/get?access_token=wecom-token-1&x=${h.oneKey}` });
    expect(res.json().errcode).toBe(40097);
    expect(wecomHost.received).toEqual([]);
    expect(wecom.invalidated).toEqual([]);
  });
});
