import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, WeChatError } from '../../src/errors/index.js';
import { getAccessToken } from '../../src/wechat/index.js';
import { redact, sanitizeError, scrubText } from '../../src/wechat/redact.js';
import { ACCESS_TOKEN, ENDPOINTS, rejectionOf, SECRET } from './endpoints.js';
import { BROKEN } from './failure-modes.js';
import { fakeFetch, jsonResponse, untilAborted, type RecordedRequest, type Responder } from './fake-fetch.js';

/** Every rendering of an error a log line, an API response or a debugger could show. */
function renderings(err: unknown): string[] {
  const e = err as Error;
  return [String(e), e.message, e.stack ?? '', JSON.stringify(e), inspect(e, { depth: 10 }), inspect(e, { depth: 10, showHidden: true })];
}

function expectNoSecrets(err: unknown): void {
  expect(err).toBeInstanceOf(Error);
  for (const text of renderings(err)) {
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(ACCESS_TOKEN);
    expect(text).not.toContain(encodeURIComponent(SECRET));
  }
}

function echoed(r: RecordedRequest): string {
  return `request was ${r.url.href} with body ${r.body ?? ''} and ${decodeURIComponent(r.url.search)}`;
}

const MODES: ReadonlyArray<[string, Responder, number?]> = [
  ...BROKEN.map(([what, respond]): [string, Responder] => [what, respond]),
  ['an errcode whose errmsg echoes the request', (r) => jsonResponse({ errcode: 40164, errmsg: `invalid ip ${echoed(r)} rid: 66b5fb8f-5e3c0071-3d7f539a` })],
  ['an errcode of -1 whose errmsg quotes every value sent', (r) => jsonResponse({ errcode: -1, errmsg: `system error ${[...r.url.searchParams.values()].join(' ')} ${r.body ?? ''}` })],
  ['a timeout', untilAborted, 20],
];

describe('no secret or token ever appears in an error', () => {
  describe.each(ENDPOINTS)('$name', ({ call }) => {
    it.each(MODES)('%s', async (_what, respond, timeoutMs) => {
      const fake = fakeFetch(respond);
      const err = await rejectionOf(call({ fetch: fake.fetch, timeoutMs: timeoutMs ?? 5_000 }));
      // The request really carried the secret or the token, so a leak was possible.
      const sent = `${fake.calls[0]?.url.href} ${fake.calls[0]?.body}`;
      expect(sent.includes(SECRET) || sent.includes(ACCESS_TOKEN)).toBe(true);
      expectNoSecrets(err);
    });

    it('a caller abort whose reason names the secret', async () => {
      const controller = new AbortController();
      const fake = fakeFetch((request) => {
        setTimeout(() => controller.abort(new Error(`stop ${SECRET} ${ACCESS_TOKEN}`)), 5);
        return untilAborted(request);
      });
      expectNoSecrets(await rejectionOf(call({ fetch: fake.fetch, signal: controller.signal })));
    });
  });

  it('keeps the rest of an errmsg that echoed the secret, and its rid', async () => {
    const fake = fakeFetch(() => jsonResponse({ errcode: 40125, errmsg: `invalid appsecret ${SECRET}, rid: 66b5fb8f-5e3c0071-3d7f539a` }));
    const err = (await rejectionOf(getAccessToken({ appid: 'wxapp1', secret: SECRET, fetch: fake.fetch }))) as WeChatError;
    expect(err.errmsg).toBe('invalid appsecret [redacted], rid: 66b5fb8f-5e3c0071-3d7f539a');
    expect(err.rid).toBe('66b5fb8f-5e3c0071-3d7f539a');
  });

  it('does not echo a password given in baseUrl', async () => {
    const err = await rejectionOf(getAccessToken({ appid: 'wxapp1', secret: SECRET, baseUrl: `https://user:${SECRET}@api.weixin.qq.com` }));
    expect(err).toBeInstanceOf(ConfigError);
    expectNoSecrets(err);
  });
});

describe('redact helpers', () => {
  it('redact removes each secret and its URL-encoded form', () => {
    expect(redact('a s/e+c b s%2Fe%2Bc c', ['s/e+c'])).toBe('a [redacted] b [redacted] c');
    expect(redact('nothing here', ['', 'zzz'])).toBe('nothing here');
  });

  it('scrubText strips URL queries, credentials and secret-style pairs', () => {
    expect(scrubText('GET https://u:p@api.weixin.qq.com/cgi-bin/token?appid=a&secret=b failed', [])).toBe(
      'GET https://api.weixin.qq.com/cgi-bin/token failed',
    );
    expect(scrubText('body secret=abc&corpsecret=def access_token=ghi', [])).toBe('body secret=[redacted]&corpsecret=[redacted] access_token=[redacted]');
  });

  it('sanitizeError copies name, code, errno and syscall, and scrubs every message in the chain', () => {
    const inner = Object.assign(new Error(`connect ECONNREFUSED for ${SECRET}`), { code: 'ECONNREFUSED', errno: -111, syscall: 'connect', request: { secret: SECRET } });
    const copy = sanitizeError(new TypeError('fetch failed', { cause: inner }), [SECRET]);
    expect(copy).toMatchObject({ name: 'TypeError', message: 'fetch failed' });
    expect(copy.cause).toMatchObject({ message: 'connect ECONNREFUSED for [redacted]', code: 'ECONNREFUSED', errno: -111, syscall: 'connect' });
    expect(inspect(copy, { depth: 10, showHidden: true })).not.toContain(SECRET);
  });
});
