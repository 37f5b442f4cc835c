// Issue 11: healing logs what happened (app, path, errcode), never a token, a key or a query.
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { APPID, setup, type Harness } from './helpers.js';
import { startUpstreamStub, type UpstreamStub } from './upstream-stub.js';

describe('healing in the logs', () => {
  let stub: UpstreamStub;
  let h: Harness;
  afterEach(async () => {
    await h.app.close();
    await stub.close();
  });

  it('logs each heal without the token, the client key or the query', async () => {
    stub = await startUpstreamStub();
    let logged = '';
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged += chunk.toString();
        done();
      },
    });
    h = await setup({ upstreamBaseUrl: stub.baseUrl, logger: { level: 'trace', stream }, logRequests: true });
    // Tokens WeChat no longer accepts.
    const dead = new Set([`fake-${APPID}-1`]);
    stub.respond = (req, reply) => {
      const token = new URL(req.url, 'http://x').searchParams.get('access_token') ?? '';
      return reply.header('content-type', 'application/json').send(Buffer.from(dead.has(token) ? '{"errcode":40001,"errmsg":"invalid credential"}' : '{"ip_list":[]}'));
    };

    const proxied = await h.app.inject({ url: `/v1/apps/${APPID}/proxy/cgi-bin/getcallbackip?marker=QUERY-MARKER`, headers: { authorization: `Bearer ${h.oneKey}` } });
    expect(proxied.json()).toEqual({ ip_list: [] });
    const { token } = await h.service.getAccessToken(APPID);
    dead.add(token);
    const passed = await h.app.inject({ url: `/cgi-bin/getcallbackip?access_token=${token}&marker=QUERY-MARKER` });
    expect(passed.json()).toEqual({ ip_list: [] });

    expect(logged.match(/invalidated and replayed once/g)).toHaveLength(2);
    expect(h.service.calls.filter((c) => c.method === 'invalidate')).toHaveLength(2);
    expect(logged).not.toMatch(/fake-wx/);
    expect(logged).not.toContain(h.oneKey);
    expect(logged).not.toContain('QUERY-MARKER');
  });
});
