import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classifyErrcode, ERRCODES, isTokenInvalid } from '../../src/wechat/errcodes.js';

describe('errcode table', () => {
  it('classifies 40001 by endpoint: wrong secret on token endpoints, stale token elsewhere', () => {
    expect(classifyErrcode(40001, 'token')).toBe('bad-credentials');
    expect(classifyErrcode(40001, 'business')).toBe('token-invalid');
  });

  it.each([
    [40014, 'token-invalid'],
    [42001, 'token-invalid'],
    [40013, 'bad-credentials'],
    [40125, 'bad-credentials'],
    [40164, 'bad-credentials'],
    [61024, 'bad-credentials'],
    [89503, 'needs-admin'],
    [45009, 'quota'],
    [45011, 'quota'],
    [-1, 'transient'],
    [40002, 'caller-bug'],
    [43002, 'caller-bug'],
    [47001, 'caller-bug'],
  ] as const)('%i is %s', (errcode, category) => {
    expect(classifyErrcode(errcode, 'business')).toBe(category);
  });

  it('treats unknown codes as transient and knows which codes mean "refetch the token"', () => {
    expect(classifyErrcode(99999, 'token')).toBe('transient');
    expect([40001, 40014, 42001].every(isTokenInvalid)).toBe(true);
    expect(isTokenInvalid(45009)).toBe(false);
  });

  it('is documented whole in docs/errors.md, row for row', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf("## How the hub classifies WeChat's errcodes"), doc.indexOf('## WeChat-compatible errcodes'));
    const documented = [...section.matchAll(/^\| (-?\d+) \| ([a-z-]+)(?: \(token endpoints: ([a-z-]+)\))? \| (.+) \|$/gm)].map((m) => [Number(m[1]), m[2], m[3], m[4]]);
    const table = [...ERRCODES.entries()].sort((a, b) => a[0] - b[0]).map(([code, e]) => [code, e.category, e.onTokenEndpoint, e.meaning]);
    expect(documented).toEqual(table);
  });
});
