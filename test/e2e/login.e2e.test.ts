import { Writable } from 'node:stream';
import { MiniApp } from 'node-easywechat';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubClient, HubClientError } from '../../src/client/index.js';
import { Hub } from '../../src/core/hub.js';
import { createSecretBox } from '../../src/core/secret-box.js';
import { createWeChatFetcher } from '../../src/core/token-fetcher.js';
import { LoginCodeInvalidError, LoginCodeUsedError, LoginRateLimitedError, LoginUserBlockedError } from '../../src/errors/index.js';
import { createServer } from '../../src/server/index.js';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import { openStore } from '../../src/stores/open-store.js';
import type { Store } from '../../src/stores/store.js';
import type { FastifyInstance } from 'fastify';
import { MASTER_KEY } from '../support/stack.js';

// Issue 14 end to end: a login service that holds only a client key logs simulated users in, through an
// unchanged npm Mini Program SDK (node-easywechat's MiniApp, base URL = the hub, "secret" = the key) and through
// the client SDK; WeChat (the simulator) receives the real AppSecret and never the key; and no log line of the
// whole run (hub requests at trace level, hub core, simulator) holds a code, a session key, a user token or a
// secret.

const APPID = 'wx0123456789abcdef';
const SECRET = 'e2e-appsecret-0123456789abcdef01';

/** Collects every log line written to it. */
class LogLines extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
}

let sim: Simulator;
let store: Store;
let hub: Hub;
let server: FastifyInstance;
let hubUrl: string;
let loginKey: string;
const logs = new LogLines();
const sentToWeChat: string[] = [];
/** Every value that must never appear in a log line. */
const sensitive = new Set<string>([SECRET]);

beforeAll(async () => {
  sim = createSimulator({ apps: [{ appid: APPID, secret: SECRET }], logger: { level: 'trace', stream: logs } });
  const simUrl = await sim.listen();
  store = await openStore('memory:', {});
  const logger = pino({ level: 'trace' }, logs);
  hub = new Hub({ store, secrets: createSecretBox(MASTER_KEY), fetcher: createWeChatFetcher({ baseUrl: simUrl, timeoutMs: 2_000 }), logger });
  await hub.start();
  await hub.putApp(APPID, { secret: SECRET, grant: 'stable' });
  loginKey = await hub.createClientKey('login-service', [APPID], { loginOnly: true });
  sensitive.add(loginKey);
  const recording: typeof fetch = (input, init) => {
    sentToWeChat.push(String(input));
    return fetch(input, init);
  };
  server = createServer({ service: hub, upstreamBaseUrl: simUrl, fetch: recording, logger: { level: 'trace', stream: logs }, logRequests: true });
  hubUrl = await server.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await server?.close();
  await hub?.stop();
  await store?.close();
  await sim?.close();
});

async function mint(kind: 'jscode' | 'oauth' = 'jscode', extra: Record<string, unknown> = {}): Promise<{ code: string; openid: string }> {
  const minted = (await sim.app.inject({ method: 'POST', url: `/__sim/apps/${APPID}/login-codes`, payload: { user: 'alice', kind, ...extra } })).json();
  sensitive.add(minted.code);
  return minted;
}

describe('Mini Program login without the secret (issue 14)', () => {
  it("node-easywechat's MiniApp, configured with the client key as its secret and the hub as its base URL, completes code2Session unchanged", async () => {
    const app = new MiniApp({ app_id: APPID, secret: loginKey, token: '', aes_key: '', http: { baseURL: `${hubUrl}/` } });
    const { code, openid } = await mint();
    const session = await app.getUtils().codeToSession(code);
    expect(session).toMatchObject({ openid, session_key: expect.any(String) });
    sensitive.add(session['session_key'] as string);
    // The same code again: WeChat's 40163 reaches the SDK, which throws as it would against WeChat.
    await expect(app.getUtils().codeToSession(code)).rejects.toThrow(/40163/);
  });

  it('the client SDK logs users in and exchanges web sign-in codes with only a login-only key', async () => {
    const client = new HubClient({ baseUrl: hubUrl, key: loginKey });
    const { code, openid } = await mint();
    const session = await client.code2Session(APPID, code);
    expect(session).toEqual({ openid, sessionKey: expect.any(String) });
    sensitive.add(session.sessionKey);
    const web = await mint('oauth', { scope: 'snsapi_userinfo', unionid: true });
    const grant = await client.exchangeOAuthCode(APPID, web.code);
    expect(grant).toEqual({ openid, accessToken: expect.any(String), expiresIn: 7200, refreshToken: expect.any(String), scope: 'snsapi_userinfo', unionid: expect.any(String) });
    sensitive.add(grant.accessToken).add(grant.refreshToken);
  });

  it('turns WeChat refusals into typed errors: 40163, 40029, 40226 and 45011', async () => {
    const client = new HubClient({ baseUrl: hubUrl, key: loginKey });
    const { code } = await mint();
    sensitive.add((await client.code2Session(APPID, code)).sessionKey);
    await expect(client.code2Session(APPID, code)).rejects.toBeInstanceOf(LoginCodeUsedError);
    await expect(client.code2Session(APPID, 'never-minted-code')).rejects.toMatchObject({ code: 'login_code_invalid', errcode: 40029 });
    await expect(client.code2Session(APPID, 'never-minted-code')).rejects.toBeInstanceOf(LoginCodeInvalidError);
    const risky = await mint('jscode', { risky: true });
    await expect(client.code2Session(APPID, risky.code)).rejects.toBeInstanceOf(LoginUserBlockedError);
    await sim.app.inject({ method: 'POST', url: '/__sim/faults', payload: { path: '/sns/jscode2session', mode: 'errcode', errcode: 45011 } });
    const limited = await mint();
    await expect(client.code2Session(APPID, limited.code)).rejects.toMatchObject({ code: 'login_rate_limited', retryable: true, retryAfterSeconds: 60 });
    expect(await client.code2Session(APPID, limited.code).catch((err: unknown) => err)).not.toBeInstanceOf(LoginRateLimitedError);
    // A key without the capability is refused by the hub itself.
    const signer = await hub.createClientKey('signer', [APPID], { signOnly: true });
    sensitive.add(signer);
    await expect(new HubClient({ baseUrl: hubUrl, key: signer }).code2Session(APPID, (await mint()).code)).rejects.toMatchObject({ code: 'forbidden', status: 403 });
    await expect(new HubClient({ baseUrl: hubUrl, key: signer }).code2Session(APPID, 'x')).rejects.toBeInstanceOf(HubClientError);
  });

  it('WeChat saw the real secret on every login call and never a client key', async () => {
    const logins = (await sim.app.inject({ url: `/__sim/apps/${APPID}/logins` })).json().logins;
    expect(logins['/sns/jscode2session'].ok).toBeGreaterThanOrEqual(4);
    expect(logins['/sns/jscode2session']['40125']).toBeUndefined();
    expect(logins['/sns/oauth2/access_token']).toEqual({ ok: 1 });
    const loginCalls = sentToWeChat.filter((url) => url.includes('/sns/'));
    expect(loginCalls.length).toBeGreaterThanOrEqual(8);
    for (const url of loginCalls) expect(new URL(url).searchParams.get('secret')).toBe(SECRET);
    for (const url of sentToWeChat) expect(url).not.toContain('wxt_');
  });

  it('no log line of the run holds a code, a session key, a user token, a key or the secret', () => {
    // The grep means something only if the run was logged: every request, by the hub and the simulator.
    expect(logs.lines.filter((line) => line.includes('/sns/jscode2session')).length).toBeGreaterThanOrEqual(8);
    expect(sensitive.size).toBeGreaterThanOrEqual(12);
    const leaks = logs.lines.filter((line) => [...sensitive].some((value) => line.includes(value)));
    expect(leaks).toEqual([]);
  });
});
