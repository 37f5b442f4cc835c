import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { APPID, SECRET, setup, type Harness } from './helpers.js';

/** A pino destination that keeps every line. */
function capture(): { stream: PassThrough; lines: () => Array<Record<string, unknown>>; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { stream, text: () => text, lines: () => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('server-side failures are logged without secrets (issue 13, finding 5)', () => {
  let h: Harness;
  afterEach(async () => h.app.close());

  it('logs an internal error behind the WeChat-compatible token endpoint, which answers errcode -1', async () => {
    const log = capture();
    h = await setup({ logger: { level: 'info', stream: log.stream } });
    h.service.failNext(APPID, new Error('boom') as never);
    const res = await h.app.inject({ url: `/cgi-bin/token?grant_type=client_credential&appid=${APPID}&secret=${SECRET}` });
    expect(res.json()).toMatchObject({ errcode: -1 });
    await new Promise((r) => setImmediate(r));
    expect(log.lines().some((l) => l['msg'] === 'unexpected error' && l['level'] === 50)).toBe(true);
    expect(log.text()).not.toContain(SECRET);
  });
});
