import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpRequest, rawRequest } from '../support/raw-http.js';
import { ADMIN_KEY, APPID, setup, type Harness } from './helpers.js';
import { startUpstreamStub, type UpstreamStub } from './upstream-stub.js';

// Finding 6 of issue 13: these were answered 502 after a failed (or nonsensical) upstream request.
describe('client errors on the passthrough are 4xx, never an upstream request (issue 13, finding 6)', () => {
  let stub: UpstreamStub;
  let h: Harness;
  let port: number;
  beforeAll(async () => {
    stub = await startUpstreamStub();
    h = await setup({ upstreamBaseUrl: stub.baseUrl });
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    port = (h.app.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await h.app.close();
    await stub.close();
  });

  it('answers TRACE (and other unsupported methods) on passthrough paths with 405 and Allow', async () => {
    stub.received.length = 0;
    for (const [method, target] of [['TRACE', '/cgi-bin/menu/get?access_token=T'], ['TRACE', '/sns/userinfo'], ['TRACE', '/wxa/x']] as const) {
      const res = await rawRequest(port, httpRequest(method, target));
      expect(res.status, `${method} ${target}: ${res.raw}`).toBe(405);
      expect(res.headers['allow']).toBe('GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS');
      expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'method_not_allowed' } });
    }
    const injected = await h.app.inject({ method: 'TRACE' as 'GET', url: '/cgi-bin/menu/get' });
    expect(injected.statusCode).toBe(405);
    expect(stub.received).toEqual([]);
  });

  it('answers absolute-form request targets with 400 on every route', async () => {
    stub.received.length = 0;
    for (const target of [
      'http://evil.example/cgi-bin/x?access_token=T',
      'https://evil.example/sns/x',
      'http://127.0.0.1/cgi-bin/menu/get',
      `http://evil.example/v1/apps/${APPID}/access-token`,
      'http://evil.example/v1/apps',
      '*',
    ]) {
      const res = await rawRequest(port, httpRequest(target === '*' ? 'OPTIONS' : 'GET', target, { headers: { authorization: `Bearer ${ADMIN_KEY}` } }));
      expect(res.status, `${target}: ${res.raw}`).toBe(400);
      expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'invalid_request' } });
    }
    expect(stub.received).toEqual([]);
    expect(h.service.calls).toEqual([]);
  });

  it('keeps forwarding the supported methods', async () => {
    stub.received.length = 0;
    for (const method of ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const res = await rawRequest(port, httpRequest(method, '/cgi-bin/x', method === 'GET' || method === 'OPTIONS' ? {} : { body: '{}', headers: { 'content-type': 'application/json' } }));
      expect(res.status, `${method}: ${res.raw}`).toBe(200);
    }
    expect(stub.received.map((r) => r.method)).toEqual(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);
  });
});
