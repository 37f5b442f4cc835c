import { PassThrough, type Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { chooseLogFormat, logDestination } from '../../src/cli/log-destination.js';

function stream(tty: boolean): PassThrough & { isTTY?: boolean; text: () => string } {
  const s = new PassThrough() as PassThrough & { isTTY?: boolean; text: () => string };
  let text = '';
  s.on('data', (c: Buffer) => (text += c.toString()));
  if (tty) s.isTTY = true;
  s.text = () => text;
  return s;
}

describe('chooseLogFormat', () => {
  it.each<[string, 'json' | 'pretty' | undefined, boolean, string]>([
    ['a terminal, nothing asked', undefined, true, 'pretty'],
    ['a pipe or file, nothing asked', undefined, false, 'json'],
    ['a terminal, json asked', 'json', true, 'json'],
    ['a pipe, pretty asked', 'pretty', false, 'pretty'],
  ])('%s → %s', (_what, asked, tty, expected) => {
    expect(chooseLogFormat(asked, stream(tty) as Writable)).toBe(expected);
  });
});

describe('logDestination', () => {
  it('writes JSON lines as they are, and readable lines for people, with the same redaction', async () => {
    for (const format of ['json', 'pretty'] as const) {
      const out = stream(false);
      const log = pino({ redact: { paths: ['secret'], censor: '[redacted]' } }, logDestination(format, out));
      log.info({ appid: 'wx0123456789abcdef', secret: 'S3CRET-VALUE' }, 'app added');
      await new Promise((r) => setImmediate(r));
      const text = out.text();
      expect(text).toContain('app added');
      expect(text).toContain('[redacted]');
      expect(text).not.toContain('S3CRET-VALUE');
      if (format === 'json') expect(JSON.parse(text.trim())).toMatchObject({ msg: 'app added', appid: 'wx0123456789abcdef' });
      else expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: app added\n {4}appid: "wx0123456789abcdef"/);
    }
  });
});
