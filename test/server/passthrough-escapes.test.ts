import { TOKEN_CHECK_PATH } from '../../src/server/compat/token-verifier.js';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpRequest, rawRequest } from '../support/raw-http.js';
import { APPID, SECRET, setup, type Harness } from './helpers.js';
import { startUpstreamStub, type UpstreamStub } from './upstream-stub.js';

const TOKEN_QUERY = `grant_type=client_credential&appid=${APPID}&secret=${SECRET}`;
const FORCE_BODY = JSON.stringify({ grant_type: 'client_credential', appid: APPID, secret: SECRET, force_refresh: true });

// Finding 1 of issue 13: every one of these used to be forwarded, the dot segments resolved by fetch after the
// hub's check (reaching WeChat's token endpoints, or the simulator's control API beyond the base path).
const ESCAPES: Array<[string, string, string?]> = [
  ['GET', `/cgi-bin/./token?${TOKEN_QUERY}`],
  ['GET', `/sns/../cgi-bin/token?${TOKEN_QUERY}`],
  ['GET', `/cgi-bin/menu/../token?${TOKEN_QUERY}`],
  ['POST', '/cgi-bin/./stable_token', FORCE_BODY],
  ['POST', '/wxa/../cgi-bin/stable_token', FORCE_BODY],
  ['GET', '/cgi-bin/../__sim/state'],
  ['GET', '/cgi-bin/../../__sim/state'],
  ['GET', '/cgi-bin/%2e%2e/__sim/state'],
  ['GET', '/cgi-bin/%2E%2E/__sim/state'],
  ['GET', '/cgi-bin/.%2e/__sim/state'],
  ['GET', `/cgi-bin/%2e/token?${TOKEN_QUERY}`],
  ['GET', '/cgi-bin/%252e%252e/__sim/state'],
  ['GET', '/cgi-bin/..%2f__sim/state'],
  ['GET', '/cgi-bin/..%2F..%2F__sim/state'],
  ['GET', '/cgi-bin/..\\__sim/state'],
  ['GET', '/cgi-bin/\\..\\__sim/state'],
  ['GET', '/cgi-bin/%5c..%5c__sim/state'],
  ['GET', '/cgi-bin/%255c..%255c__sim/state'],
  ['GET', `/cgi-bin/token.?${TOKEN_QUERY}`],
  ['GET', `/cgi-bin/token;x=1?${TOKEN_QUERY}`],
  ['GET', '/cgi-bin/%c0%ae%c0%ae/__sim/state'],
  ['GET', '/cgi-bin/%EF%BC%8E%EF%BC%8E/__sim/state'],
  ['GET', '/cgi-bin/%zz/x'],
];

describe('passthrough path resolution (issue 13, finding 1)', () => {
  let stub: UpstreamStub;
  let h: Harness;
  let port: number;
  beforeAll(async () => {
    stub = await startUpstreamStub();
    h = await setup({ upstreamBaseUrl: `${stub.baseUrl}/base` });
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    port = (h.app.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await h.app.close();
    await stub.close();
  });

  it.each(ESCAPES)('refuses %s %s with 400, forwarding nothing', async (method, target, body) => {
    stub.received.length = 0;
    const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
    const res = await rawRequest(port, httpRequest(method, target, { headers, ...(body !== undefined && { body }) }));
    expect(res.status, res.raw).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'invalid_request' } });
    expect(res.body).not.toContain(SECRET);
    expect(stub.received).toEqual([]);
    expect(h.service.calls.filter((c) => c.method !== 'putApp')).toEqual([]);
  });

  it('answers encoded or doubled spellings of the token endpoints itself, never forwarding them', async () => {
    stub.received.length = 0;
    for (const target of [`/cgi-bin/%74oken?${TOKEN_QUERY}`, `/cgi-bin//token?${TOKEN_QUERY}`, `/cgi-bin/TOKEN/?${TOKEN_QUERY}`]) {
      const res = await rawRequest(port, httpRequest('GET', target));
      expect(res.status, target).toBe(200);
      expect(JSON.parse(res.body), target).toMatchObject({ access_token: expect.stringMatching(/^fake-/) });
    }
    const stable = await rawRequest(port, httpRequest('POST', '/cgi-bin/stable%5Ftoken', { headers: { 'content-type': 'application/json' }, body: FORCE_BODY }));
    expect(JSON.parse(stable.body)).toMatchObject({ access_token: expect.stringMatching(/^fake-/) });
    // Coming back for the same token is an early re-request: at most one verification call (token-verifier.ts).
    const checks = stub.received.filter((r) => r.url.startsWith(`/base${TOKEN_CHECK_PATH}?`));
    expect(checks.length).toBeLessThanOrEqual(1);
    expect(stub.received.filter((r) => !checks.includes(r))).toEqual([]);
  });

  it('forwards the resolved path under the upstream base path, with the query as sent', async () => {
    stub.received.length = 0;
    const res = await rawRequest(port, httpRequest('GET', '/cgi-bin//menu/%67et?access_token=T%2B1&x=a/../b'));
    expect(res.status, res.raw).toBe(200);
    expect(stub.received.map((r) => r.url)).toEqual(['/base/cgi-bin/menu/get?access_token=T%2B1&x=a/../b']);
  });
});
