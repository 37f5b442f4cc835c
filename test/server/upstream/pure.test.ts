// Table tests of the healing layer's pure decisions.
import { describe, expect, it } from 'vitest';
import { queryNames, queryValue, withQueryValue } from '../../../src/server/upstream/query-token.js';
import { tokenRejectionErrcode } from '../../../src/server/upstream/token-rejection.js';
import { compatExpiresAt, compatExpiresIn } from '../../../src/server/compat/compat-expiry.js';
import { EARLY_SHARE, isEarlyRerequest } from '../../../src/server/compat/early-request.js';
import { readPrefix, resume } from '../../../src/server/upstream/body-prefix.js';

describe('tokenRejectionErrcode', () => {
  it.each([
    ['{"errcode":40001,"errmsg":"invalid credential rid: 1-2-3"}', 40001],
    ['  \n{"errcode":40014,"errmsg":"invalid access_token"}', 40014],
    ['{"errcode":42001,"errmsg":"access_token expired"}', 42001],
    ['{"errcode":0,"errmsg":"ok"}', undefined],
    ['{"errcode":41001,"errmsg":"access_token missing"}', undefined],
    ['{"errcode":40125,"errmsg":"invalid appsecret"}', undefined],
    ['{"errcode":"40001"}', undefined],
    ['{"ip_list":["1.2.3.4"]}', undefined],
    ['[40001]', undefined],
    ['{"errcode":40001', undefined],
    ['<html>40001</html>', undefined],
    ['', undefined],
  ])('%s → %s', (body, expected) => {
    expect(tokenRejectionErrcode(Buffer.from(body))).toBe(expected);
  });

  it('never parses a body that does not start with "{"', () => {
    expect(tokenRejectionErrcode(Buffer.from([0xff, 0xd8, 0xff, 0x7b]))).toBeUndefined();
  });
});

describe('query tokens', () => {
  it.each([
    ['?access_token=T&x=1', 'T'],
    ['?x=1&access_token=a%2Bb', 'a+b'],
    ['?access_token=', ''],
    ['?access_token', ''],
    ['?x=1', undefined],
    ['', undefined],
    ['?access_token=A&access_token=B', undefined],
    ['?access%5Ftoken=T', 'T'],
    ['?access_token=%zz', ''],
  ])('queryValue(%s) → %s', (search, expected) => {
    expect(queryValue(search, 'access_token')).toBe(expected);
  });

  it.each([
    ['', '?access_token=N'],
    ['?x=1%202&y', '?x=1%202&y&access_token=N'],
    ['?access_token=OLD&x=1', '?x=1&access_token=N'],
    ['?access_token=A&x=1&access%5Ftoken=B', '?x=1&access_token=N'],
    ['?&&x=1', '?x=1&access_token=N'],
  ])('withQueryValue(%s) → %s', (search, expected) => {
    expect(withQueryValue(search, 'access_token', 'N')).toBe(expected);
  });

  it('encodes the value it sets', () => {
    expect(withQueryValue('', 'access_token', 'a+b&c=d')).toBe('?access_token=a%2Bb%26c%3Dd');
  });

  it('lists decoded names', () => {
    expect(queryNames('?a=1&corp%73ecret=2&%zz=3&b')).toEqual(['a', 'corpsecret', '%zz', 'b']);
  });
});

describe('compatExpiresAt: the expiry a compatible endpoint announces', () => {
  const issued = { token: 'T', expiresAt: 10_000 };
  it.each([
    ['ends at the hub\'s refresh time while it is ahead', 8_000, 1_000, 8_000],
    ['never later than the serving window', 12_000, 1_000, 10_000],
    ['the serving window once the refresh time has passed', 8_000, 8_000, 10_000],
    ['the serving window once the refresh time has passed (late)', 8_000, 9_000, 10_000],
    ['the serving window when the hub does not say', undefined, 1_000, 10_000],
  ])('%s', (_label, refreshAt, now, expected) => {
    expect(compatExpiresAt(issued, refreshAt, now)).toBe(expected);
  });
});

describe('compatExpiresIn: the seconds announced, never 0', () => {
  it.each([
    [10_999, 0, 10],
    [1_000, 0, 1],
    [999, 0, 1],
    [0, 0, 1],
    [0, 5_000, 1],
  ])('until %d at %d → %d', (until, now, expected) => {
    expect(compatExpiresIn(until, now)).toBe(expected);
  });
});

describe('isEarlyRerequest', () => {
  const handOut = { token: 'T', at: 1_000, until: 11_000 };
  const half = 1_000 + 10_000 * EARLY_SHARE;
  it.each([
    ['the first request of an address', undefined, 'T', 2_000, false],
    ['the same token again within the first half of its announced life', handOut, 'T', 2_000, true],
    ['just before half', handOut, 'T', half - 1, true],
    ['at half and later: the SDK is renewing normally', handOut, 'T', half, false],
    ['a different token: the last one was replaced', handOut, 'U', 2_000, false],
  ])('%s', (_label, previous, token, now, expected) => {
    expect(isEarlyRerequest(previous, token as string, now as number)).toBe(expected);
  });
});

describe('readPrefix and resume', () => {
  async function* chunks(sizes: number[]): AsyncGenerator<Buffer> {
    for (const [i, size] of sizes.entries()) yield Buffer.alloc(size, i);
  }
  async function all(iterable: AsyncIterable<Buffer>): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const part of iterable) parts.push(part);
    return Buffer.concat(parts);
  }

  it('reads a body within the limit whole', async () => {
    const prefix = await readPrefix(chunks([3, 4]), 7);
    expect({ complete: prefix.complete, bytes: prefix.bytes }).toEqual({ complete: true, bytes: 7 });
  });

  it('stops at the first chunk past the limit and resumes with every byte in order', async () => {
    const prefix = await readPrefix(chunks([3, 4, 5, 6]), 5);
    expect({ complete: prefix.complete, bytes: prefix.bytes, chunks: prefix.chunks.length }).toEqual({ complete: false, bytes: 7, chunks: 2 });
    const seen: number[] = [];
    const body = await all(resume(prefix, (chunk) => seen.push(chunk.length)));
    expect(body.equals(Buffer.concat([Buffer.alloc(3, 0), Buffer.alloc(4, 1), Buffer.alloc(5, 2), Buffer.alloc(6, 3)]))).toBe(true);
    expect(seen).toEqual([5, 6]);
  });
});
