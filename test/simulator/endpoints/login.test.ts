import { afterEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../../src/simulator/index.js';
import { LOGIN_USER_MINUTE_LIMIT } from '../../../src/simulator/login-codes.js';
import { APPID, SECRET, advance, manualSimulator, type Json } from '../helpers.js';

const OTHER_APPID = 'wx0000000000000002';
const OTHER_SECRET = 'app-secret-2';

let sim: Simulator;
afterEach(() => sim?.close());

function start(): ReturnType<typeof manualSimulator> {
  const made = manualSimulator({ apps: [{ appid: APPID, secret: SECRET }, { appid: OTHER_APPID, secret: OTHER_SECRET }] });
  sim = made.sim;
  return made;
}

async function mint(appid: string, body: Record<string, unknown>): Promise<Json> {
  const res = await sim.app.inject({ method: 'POST', url: `/__sim/apps/${appid}/login-codes`, payload: body });
  expect(res.statusCode).toBe(201);
  return res.json();
}

async function login(path: string, query: Record<string, string>): Promise<Json> {
  const res = await sim.app.inject({ method: 'GET', url: `${path}?${new URLSearchParams(query)}` });
  expect(res.statusCode).toBe(200);
  return res.json();
}

function jscode(code: string, overrides: Record<string, string> = {}): Promise<Json> {
  return login('/sns/jscode2session', { appid: APPID, secret: SECRET, js_code: code, grant_type: 'authorization_code', ...overrides });
}

function oauth(code: string, overrides: Record<string, string> = {}): Promise<Json> {
  return login('/sns/oauth2/access_token', { appid: APPID, secret: SECRET, code, grant_type: 'authorization_code', ...overrides });
}

describe('simulated user login', () => {
  it('exchanges a minted js_code once for the per-app openid and a fresh session key; reuse is 40163, unknown 40029', async () => {
    start();
    const minted = await mint(APPID, { user: 'alice' });
    expect(minted.openid).toMatch(/^o[A-Za-z0-9_-]{27}$/);
    const first = await jscode(minted.code);
    expect(first).toEqual({ session_key: expect.stringMatching(/^[A-Za-z0-9+/]{22}==$/), openid: minted.openid });
    expect((await jscode(minted.code)).errcode).toBe(40163);
    expect((await jscode('never-minted')).errcode).toBe(40029);
    // Same user again: same openid, new session key. Another app: another openid.
    const again = await jscode((await mint(APPID, { user: 'alice' })).code);
    expect(again.openid).toBe(first.openid);
    expect(again.session_key).not.toBe(first.session_key);
    const elsewhere = await mint(OTHER_APPID, { user: 'alice' });
    expect(elsewhere.openid).not.toBe(minted.openid);
    expect(sim.state.logins.outcomes(APPID)).toEqual({ '/sns/jscode2session': { ok: 2, '40163': 1, '40029': 1 } });
  });

  it('checks appid, secret, grant_type and code in that order, and a code of another app or kind is unknown', async () => {
    start();
    const { code } = await mint(APPID, { user: 'bob' });
    expect((await jscode(code, { appid: '' })).errcode).toBe(41002);
    expect((await jscode(code, { appid: 'wx00000000000000ff' })).errcode).toBe(40013);
    expect((await jscode(code, { secret: '' })).errcode).toBe(41004);
    expect((await jscode(code, { secret: 'wxt_not-the-secret' })).errcode).toBe(40125);
    expect((await jscode(code, { grant_type: 'client_credential' })).errcode).toBe(40002);
    expect((await jscode('', {})).errcode).toBe(41008);
    // Bound to its app and kind: app B with its own secret, or the OAuth exchange, does not know it.
    expect((await jscode(code, { appid: OTHER_APPID, secret: OTHER_SECRET })).errcode).toBe(40029);
    expect((await oauth(code)).errcode).toBe(40029);
    // None of the refusals spent it.
    expect((await jscode(code)).openid).toBe((await mint(APPID, { user: 'bob' })).openid);
    expect(sim.state.logins.outcomes(APPID)['/sns/jscode2session']).toEqual({ '41004': 1, '40125': 1, '40002': 1, '41008': 1, ok: 1 });
  });

  it('expires codes after five minutes, blocks risky users with 40226 and limits a user to 100 exchanges a minute', async () => {
    const { clock } = start();
    const stale = await mint(APPID, { user: 'carol' });
    await advance(clock, 300);
    expect((await jscode(stale.code)).errcode).toBe(40029);
    const risky = await mint(APPID, { user: 'mallory', risky: true });
    expect((await jscode(risky.code)).errcode).toBe(40226);
    expect((await jscode(risky.code)).errcode).toBe(40163);
    for (let i = 0; i < LOGIN_USER_MINUTE_LIMIT; i++) expect((await jscode((await mint(APPID, { user: 'dave' })).code)).openid).toBeDefined();
    const limited = await mint(APPID, { user: 'dave' });
    expect((await jscode(limited.code)).errcode).toBe(45011);
    await advance(clock, 60);
    expect((await jscode(limited.code)).openid).toBe(limited.openid);
  });

  it('answers the web OAuth exchange with a user token, refresh token, openid, scope and (when bound) unionid', async () => {
    start();
    const minted = await mint(APPID, { user: 'erin', kind: 'oauth', scope: 'snsapi_userinfo', unionid: true });
    const body = await oauth(minted.code);
    expect(body).toEqual({
      access_token: expect.any(String),
      expires_in: 7200,
      refresh_token: expect.any(String),
      openid: minted.openid,
      scope: 'snsapi_userinfo',
      unionid: expect.stringMatching(/^o/),
    });
    expect((await oauth(minted.code)).errcode).toBe(40163);
    // The unionid is the user's across apps, the openid is per app.
    const other = await mint(OTHER_APPID, { user: 'erin', kind: 'oauth', unionid: true });
    const otherBody = await login('/sns/oauth2/access_token', { appid: OTHER_APPID, secret: OTHER_SECRET, code: other.code, grant_type: 'authorization_code' });
    expect(otherBody.unionid).toBe(body.unionid);
    expect(otherBody.openid).not.toBe(body.openid);
  });

  it('refuses to mint for an unknown app or with a bad user', async () => {
    start();
    expect((await sim.app.inject({ method: 'POST', url: '/__sim/apps/wx00000000000000ff/login-codes', payload: { user: 'a' } })).statusCode).toBe(404);
    expect((await sim.app.inject({ method: 'POST', url: `/__sim/apps/${APPID}/login-codes`, payload: { user: 'a b' } })).statusCode).toBe(400);
    expect((await sim.app.inject({ method: 'GET', url: `/__sim/apps/${APPID}/logins` })).json()).toEqual({ logins: {} });
  });
});
