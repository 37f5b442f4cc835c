import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { CredentialsRejectedError } from '../../src/errors/index.js';
import { ADMIN_KEY, APPID, OTHER_APPID, SECRET, bearer, setup, type Harness } from './helpers.js';
import { startUpstreamStub } from './upstream-stub.js';

/** A pino destination that keeps every line. */
function captureLogs(): { stream: Writable; text: () => string } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => lines.join('') };
}

describe('secrets never leave', () => {
  let h: Harness;
  afterEach(async () => h.app.close());

  it('in response bodies or logs, across every endpoint family, with request logging on', async () => {
    const logs = captureLogs();
    const stub = await startUpstreamStub();
    const upstreamToken = 'UPSTREAM-ACCESS-TOKEN-in-query';
    h = await setup({ logger: { level: 'trace', stream: logs.stream }, logRequests: true, upstreamBaseUrl: stub.baseUrl });
    const newSecret = 'brand-new-SECRET-value-42';
    const admin = bearer(ADMIN_KEY);
    const responses = [
      await h.app.inject({ url: `/v1/apps/${APPID}/access-token`, headers: bearer(h.oneKey) }),
      await h.app.inject({ url: `/v1/apps/${OTHER_APPID}/access-token`, headers: bearer(h.oneKey) }),
      await h.app.inject({ url: `/v1/apps/${APPID}/access-token`, headers: bearer(`${h.oneKey}x`) }),
      await h.app.inject({ method: 'PUT', url: `/v1/apps/${APPID}`, headers: admin, payload: { secret: newSecret } }),
      await h.app.inject({ method: 'PUT', url: `/v1/apps/${APPID}`, headers: { ...admin, 'content-type': 'application/json' }, payload: `{"secret":"${newSecret}"` }),
      await h.app.inject({ method: 'PUT', url: `/v1/apps/${APPID}`, headers: bearer(newSecret), payload: { secret: newSecret } }),
      await h.app.inject({ url: '/v1/apps', headers: admin }),
      await h.app.inject({ url: '/v1/keys', headers: admin }),
      await h.app.inject({ url: `/cgi-bin/token?grant_type=client_credential&appid=${APPID}&secret=${newSecret}` }),
      await h.app.inject({ url: `/cgi-bin/token?grant_type=client_credential&appid=${APPID}&secret=${SECRET}` }),
      await h.app.inject({ url: `/cgi-bin/token?grant_type=client_credential&appid=${APPID}&secret=${h.allKey}` }),
      await h.app.inject({ method: 'POST', url: '/cgi-bin/stable_token', payload: { grant_type: 'client_credential', appid: APPID, secret: newSecret } }),
      await h.app.inject({ method: 'POST', url: '/cgi-bin/stable_token', payload: `{"secret":"${newSecret}"` }),
      await h.app.inject({ url: `/cgi-bin/menu/get?access_token=${upstreamToken}` }),
      await h.app.inject({ url: `/sns/oauth2/access_token?appid=${APPID}&secret=${newSecret}&code=c` }),
      await h.app.inject({ url: `/nowhere?secret=${newSecret}` }),
    ];
    h.service.failNext(APPID, new CredentialsRejectedError('WeChat rejected the credentials'));
    responses.push(await h.app.inject({ url: `/v1/apps/${APPID}/access-token`, headers: bearer(h.oneKey) }));
    h.service.failNext(APPID, new Error('an unexpected failure') as never);
    responses.push(await h.app.inject({ url: `/v1/apps/${APPID}/access-token`, headers: bearer(h.oneKey) }));
    await stub.close();
    responses.push(await h.app.inject({ url: `/cgi-bin/menu/get?access_token=${upstreamToken}` }));

    const secrets = [SECRET, newSecret, ADMIN_KEY, h.oneKey, h.allKey, upstreamToken];
    for (const res of responses) {
      for (const s of secrets) expect(res.body, `${res.statusCode} ${res.body}`).not.toContain(s);
    }
    const text = logs.text();
    expect(text).toContain('incoming request'); // the capture works and request logging was on
    expect(text).toContain('/cgi-bin/menu/get');
    expect(text).toContain('unexpected error');
    for (const s of secrets) expect(text).not.toContain(s);
    expect(text).not.toContain('access_token=');
    expect(text).not.toContain('secret=');
  });

  it('the admin key is never part of a configuration error', async () => {
    const { createServer } = await import('../../src/server/index.js');
    const { FakeTokenService } = await import('./fake-token-service.js');
    const { ManualClock } = await import('../../src/util/clock.js');
    const short = 'tiny-KEY';
    h = await setup();
    expect(() => createServer({ service: new FakeTokenService(new ManualClock()), adminKey: short })).toThrow(/adminKey/);
    try {
      createServer({ service: new FakeTokenService(new ManualClock()), adminKey: short });
    } catch (err) {
      expect(String((err as Error).message)).not.toContain(short);
    }
  });
});
