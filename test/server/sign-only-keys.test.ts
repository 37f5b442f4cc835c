import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_KEY, APPID, OTHER_APPID, bearer, expectError, setup, type Harness } from './helpers.js';
import { startUpstreamStub, type UpstreamStub } from './upstream-stub.js';

// A sign-only key may ask the hub to sign but never receives a token or a ticket: every token route, the
// compatible token endpoints and the passthrough answer 403 for it, while a full key keeps working everywhere.
describe('sign-only client keys', () => {
  let stub: UpstreamStub;
  let h: Harness;
  let signer: string;
  beforeEach(async () => {
    stub = await startUpstreamStub();
    h = await setup({ upstreamBaseUrl: stub.baseUrl });
    signer = await h.service.createClientKey('signer', [APPID], { signOnly: true });
  });
  afterEach(async () => {
    await h.app.close();
    await stub.close();
  });

  it('GET /v1/apps/{appid}/access-token: 403 forbidden, saying it is the capability', async () => {
    const error = expectError(await h.app.inject({ url: `/v1/apps/${APPID}/access-token`, headers: bearer(signer) }), 403, 'forbidden');
    expect(error.message).toMatch(/may not receive tokens/);
    expect((await h.app.inject({ url: `/v1/apps/${APPID}/access-token`, headers: bearer(h.oneKey) })).statusCode).toBe(200);
  });

  it('POST .../invalidate: 403 before the body is read', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: `/v1/apps/${APPID}/access-token/invalidate`,
      headers: { ...bearer(signer), 'content-type': 'application/json' },
      payload: '{not json',
    });
    expectError(res, 403, 'forbidden');
    expect(h.service.calls.filter((c) => c.method === 'invalidate')).toEqual([]);
  });

  it('GET /cgi-bin/token with the key as secret: HTTP 403, errcode 48001, no token', async () => {
    const res = await h.app.inject({ url: `/cgi-bin/token?grant_type=client_credential&appid=${APPID}&secret=${signer}` });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ errcode: 48001, errmsg: expect.stringMatching(/^api unauthorized .* rid: /) });
    expect(res.body).not.toContain(signer);
    const ok = await h.app.inject({ url: `/cgi-bin/token?grant_type=client_credential&appid=${APPID}&secret=${h.oneKey}` });
    expect(ok.json()).toHaveProperty('access_token');
  });

  it('POST /cgi-bin/stable_token with the key in the body: HTTP 403, errcode 48001', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/cgi-bin/stable_token',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ grant_type: 'client_credential', appid: APPID, secret: signer }),
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().errcode).toBe(48001);
    expect(res.body).not.toContain('access_token');
  });

  it('odd spellings of the token path reach the same refusal', async () => {
    const res = await h.app.inject({ url: `/cgi-bin//TOKEN/?grant_type=client_credential&appid=${APPID}&secret=${signer}` });
    expect(res.statusCode).toBe(403);
    expect(res.json().errcode).toBe(48001);
  });

  it.each([
    ['as a bearer key', (key: string) => ({ url: '/cgi-bin/menu/get?access_token=T', headers: bearer(key) })],
    ['as the secret parameter', (key: string) => ({ url: `/sns/oauth2/access_token?appid=${APPID}&secret=${key}&code=c&grant_type=authorization_code`, headers: {} })],
    ['as the access_token parameter', (key: string) => ({ url: `/cgi-bin/menu/get?access_token=${key}`, headers: {} })],
  ])('the passthrough refuses it %s with 403 and forwards nothing', async (_how, request) => {
    const res = await h.app.inject({ method: 'GET', ...request(signer) });
    expect(res.statusCode).toBe(403);
    expect(res.json().errcode).toBe(48001);
    expect(stub.received).toHaveLength(0);
  });

  it('the passthrough still forwards requests carrying a full key or no key', async () => {
    stub.respond = (_req, reply) => reply.header('content-type', 'application/json').send(Buffer.from('{"errcode":0}'));
    expect((await h.app.inject({ url: '/cgi-bin/menu/get?access_token=T', headers: bearer(h.allKey) })).statusCode).toBe(200);
    expect((await h.app.inject({ url: '/cgi-bin/menu/get?access_token=T' })).statusCode).toBe(200);
    expect(stub.received).toHaveLength(2);
  });

  it('signs JS-SDK configs and card signatures for its apps only, and never reads a ticket', async () => {
    const sign = (key: string, appid = APPID) =>
      h.app.inject({ method: 'POST', url: `/v1/apps/${appid}/jssdk-config`, headers: bearer(key), payload: { url: 'https://example.com/page' } });
    const signed = await sign(signer);
    expect(signed.statusCode, signed.body).toBe(200);
    expect(signed.json()).toMatchObject({ appId: APPID, signature: expect.stringMatching(/^[0-9a-f]{40}$/) });
    const card = await h.app.inject({ method: 'POST', url: `/v1/apps/${APPID}/card-signature`, headers: bearer(signer), payload: { card_id: 'c1' } });
    expect(card.statusCode, card.body).toBe(200);
    expect(expectError(await sign(signer, OTHER_APPID), 403, 'forbidden').message).toMatch(/not scoped to app/);
    for (const type of ['jsapi', 'wx_card']) {
      const error = expectError(await h.app.inject({ url: `/v1/apps/${APPID}/tickets/${type}`, headers: bearer(signer) }), 403, 'forbidden');
      expect(error.message).toMatch(/may not receive tokens or tickets/);
    }
    // A full key may do both.
    expect((await sign(h.oneKey)).statusCode).toBe(200);
    expect((await h.app.inject({ url: `/v1/apps/${APPID}/tickets/jsapi`, headers: bearer(h.oneKey) })).statusCode).toBe(200);
  });

  it('the compatible getticket refuses it as an access_token with 403', async () => {
    const res = await h.app.inject({ url: `/cgi-bin/ticket/getticket?access_token=${signer}&type=jsapi` });
    expect(res.statusCode).toBe(403);
    expect(res.json().errcode).toBe(48001);
    expect(stub.received).toHaveLength(0);
  });

  it('POST /v1/keys creates sign-only keys and GET /v1/keys shows their capabilities', async () => {
    const admin = bearer(ADMIN_KEY);
    const res = await h.app.inject({ method: 'POST', url: '/v1/keys', headers: admin, payload: { name: 'front', apps: [APPID], sign_only: true } });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ name: 'front', capabilities: ['sign'] });
    expectError(await h.app.inject({ url: `/v1/apps/${APPID}/access-token`, headers: bearer(res.json().key) }), 403, 'forbidden');
    const list = await h.app.inject({ url: '/v1/keys', headers: admin });
    expect(list.json().keys).toContainEqual(expect.objectContaining({ name: 'front', capabilities: ['sign'] }));
  });
});
