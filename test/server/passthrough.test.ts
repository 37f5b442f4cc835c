import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_PASSTHROUGH_PREFIXES } from '../../src/server/index.js';
import { ADMIN_KEY, expectError, setup, type Harness } from './helpers.js';
import { startUpstreamStub, type UpstreamStub } from './upstream-stub.js';

describe('WeChat-compatible passthrough', () => {
  let stub: UpstreamStub;
  let h: Harness;
  beforeEach(async () => {
    stub = await startUpstreamStub();
  });
  afterEach(async () => {
    await h.app.close();
    await stub.close();
  });

  it('forwards a GET with its exact path and query, and returns the answer unchanged', async () => {
    h = await setup({ upstreamBaseUrl: stub.baseUrl });
    const answer = '{"menu":{"button":[{"type":"click","name":"今日歌曲","key":"V1001"}]}}';
    stub.respond = (_req, reply) => reply.header('content-type', 'application/json; encoding=utf-8').send(Buffer.from(answer));
    const url = '/cgi-bin/menu/get?access_token=TOKEN%2Bplus&x=1%202&x=3&empty=';
    const res = await h.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${ADMIN_KEY}`, cookie: 'c=1', 'x-custom': 'y' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; encoding=utf-8');
    expect(res.body).toBe(answer);
    expect(stub.received).toHaveLength(1);
    const got = stub.received[0]!;
    expect(got.method).toBe('GET');
    expect(got.url).toBe(url);
    expect(got.body.length).toBe(0);
    // Only the content-type crosses: no credentials, cookies or other caller headers.
    expect(got.headers.authorization).toBeUndefined();
    expect(got.headers.cookie).toBeUndefined();
    expect(got.headers['x-custom']).toBeUndefined();
  });

  it('forwards a POST body byte for byte with its content-type; returns status, type and body unchanged', async () => {
    h = await setup({ upstreamBaseUrl: stub.baseUrl });
    const payload = Buffer.from('{ "button" : [ {"name":"菜单", "type":"view"} ] ,"n":1.50}\n', 'utf8');
    stub.respond = (_req, reply) => reply.code(201).header('content-type', 'text/plain').send(Buffer.from('{"errcode":0,"errmsg":"ok"}  '));
    const res = await h.app.inject({
      method: 'POST',
      url: '/cgi-bin/menu/create?access_token=T',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      payload,
    });
    expect(res.statusCode).toBe(201);
    expect(res.headers['content-type']).toBe('text/plain');
    expect(res.body).toBe('{"errcode":0,"errmsg":"ok"}  ');
    const got = stub.received[0]!;
    expect(got.method).toBe('POST');
    expect(got.url).toBe('/cgi-bin/menu/create?access_token=T');
    expect(got.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(got.body.equals(payload)).toBe(true);
  });

  it('forwards binary bodies and binary answers, error statuses included', async () => {
    h = await setup({ upstreamBaseUrl: stub.baseUrl });
    const payload = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x7f, 0x0a, 0x0d]);
    const answer = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00]);
    stub.respond = (_req, reply) => reply.code(503).header('content-type', 'image/jpeg').send(answer);
    const res = await h.app.inject({ method: 'PUT', url: '/sns/thing?a=b', headers: { 'content-type': 'application/octet-stream' }, payload });
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toBe('image/jpeg');
    expect(res.rawPayload.equals(answer)).toBe(true);
    expect(stub.received[0]!.method).toBe('PUT');
    expect(stub.received[0]!.body.equals(payload)).toBe(true);
  });

  it('forwards every default prefix, and nothing outside them', async () => {
    h = await setup({ upstreamBaseUrl: stub.baseUrl });
    for (const prefix of DEFAULT_PASSTHROUGH_PREFIXES) {
      const res = await h.app.inject({ method: 'DELETE', url: `${prefix}some/api?access_token=T` });
      expect(res.statusCode, prefix).toBe(200);
    }
    expect(stub.received.map((r) => r.url)).toEqual(DEFAULT_PASSTHROUGH_PREFIXES.map((p) => `${p}some/api?access_token=T`));
    expect(stub.received.every((r) => r.method === 'DELETE')).toBe(true);
    expectError(await h.app.inject({ url: '/pay/thing?access_token=T' }), 404, 'not_found');
    expect(stub.received).toHaveLength(DEFAULT_PASSTHROUGH_PREFIXES.length);
  });

  it('uses a configured prefix list', async () => {
    h = await setup({ upstreamBaseUrl: `${stub.baseUrl}/`, passthroughPrefixes: ['/custom/api/'] });
    expect((await h.app.inject({ url: '/custom/api/x?y=1' })).statusCode).toBe(200);
    expectError(await h.app.inject({ url: '/sns/x' }), 404, 'not_found');
    expect(stub.received.map((r) => r.url)).toEqual(['/custom/api/x?y=1']);
  });

  it('applies the body limit: 413 and nothing forwarded', async () => {
    h = await setup({ upstreamBaseUrl: stub.baseUrl, passthroughBodyLimitBytes: 1024 });
    const res = await h.app.inject({ method: 'POST', url: '/cgi-bin/media/upload?access_token=T', headers: { 'content-type': 'application/json' }, payload: 'x'.repeat(1025) });
    expectError(res, 413, 'payload_too_large');
    expect(stub.received).toHaveLength(0);
    expect((await h.app.inject({ method: 'POST', url: '/cgi-bin/x', headers: { 'content-type': 'application/json' }, payload: 'x'.repeat(1024) })).statusCode).toBe(200);
  });

  it('answers 502 with WeChat system error when the upstream is unreachable, without the query', async () => {
    const closed = stub.baseUrl;
    await stub.close();
    stub = await startUpstreamStub(); // for afterEach
    h = await setup({ upstreamBaseUrl: closed });
    const res = await h.app.inject({ url: '/cgi-bin/menu/get?access_token=SECRET_TOKEN_VALUE' });
    expect(res.statusCode).toBe(502);
    const body = res.json();
    expect(body.errcode).toBe(-1);
    expect(body.errmsg).toMatch(/^system error \(the hub could not reach WeChat: network\) rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/);
    expect(res.body).not.toContain('SECRET_TOKEN_VALUE');
  });

  it('answers 502 after the upstream timeout (on the injected clock)', async () => {
    h = await setup({ upstreamBaseUrl: stub.baseUrl, upstreamTimeoutMs: 5_000 });
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    stub.respond = async (_req, reply) => {
      await held;
      return reply.send('late');
    };
    const pending = h.app.inject({ url: '/cgi-bin/slow?access_token=T' });
    while (stub.received.length === 0) await new Promise((r) => setTimeout(r, 5));
    await h.clock.advance(4_999);
    let settled = false;
    void pending.then(() => {
      settled = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toBe(false);
    await h.clock.advance(1);
    const res = await pending;
    release();
    expect(res.statusCode).toBe(502);
    expect(res.json().errmsg).toMatch(/^system error \(the hub could not reach WeChat: timeout\) rid: /);
  });

  it('uses the injected fetch', async () => {
    const calls: Array<{ url: string; init: RequestInit | undefined }> = [];
    h = await setup({
      upstreamBaseUrl: 'https://wechat.example',
      fetch: (async (url: string | URL | Request, init?: RequestInit) => {
        calls.push({ url: String(url), init });
        return new Response('{"ip_list":["127.0.0.1"]}', { status: 200, headers: { 'content-type': 'application/json' } });
      }) as typeof fetch,
    });
    const res = await h.app.inject({ url: '/cgi-bin/getcallbackip?access_token=T' });
    expect(res.json()).toEqual({ ip_list: ['127.0.0.1'] });
    expect(calls.map((c) => [c.url, c.init?.method])).toEqual([['https://wechat.example/cgi-bin/getcallbackip?access_token=T', 'GET']]);
  });
});
