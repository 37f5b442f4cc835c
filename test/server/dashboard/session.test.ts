import { describe, expect, it } from 'vitest';
import { cookieSigningKey, parseSession, RevokedSessions, sessionValue } from '../../../src/server/dashboard/session.js';
import { SignInLinks } from '../../../src/server/dashboard/sign-in-links.js';
import { cameOverTls } from '../../../src/server/dashboard/routes.js';
import { ManualClock } from '../../../src/util/clock.js';

const NOW = Date.UTC(2026, 0, 1);
const TTL = 3_600_000;
const ID = 'abcdefghijklmnopqrstuvwx';

describe('parseSession', () => {
  it.each<[string, string, { expiresAt: number; id: string } | null]>([
    ['a live session', sessionValue(NOW + 1000, ID), { expiresAt: NOW + 1000, id: ID }],
    ['expired', sessionValue(NOW, ID), null],
    ['lasting longer than any session this hub signs', sessionValue(NOW + TTL + 1, ID), null],
    ['another version', `v2.${NOW + 1000}.${ID}`, null],
    ['a short id', sessionValue(NOW + 1000, 'short'), null],
    ['junk', 'admin', null],
    ['an id with other characters', sessionValue(NOW + 1000, `${ID}.x`), null],
  ])('%s', (_name, value, expected) => {
    expect(parseSession(value, NOW, TTL)).toEqual(expected);
  });
});

describe('cookieSigningKey', () => {
  it('is derived from the admin key, stable, and never the key itself', () => {
    const key = cookieSigningKey('admin-key-0123456789abcdef-XYZ');
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(cookieSigningKey('admin-key-0123456789abcdef-XYZ')).toBe(key);
    expect(cookieSigningKey('admin-key-0123456789abcdef-XYz')).not.toBe(key);
    expect(key).not.toContain('admin-key');
  });
});

describe('RevokedSessions', () => {
  it('remembers a signed-out session until it would have expired, within a bound', () => {
    const revoked = new RevokedSessions(2);
    revoked.revoke('one-id-0123456789abcdef', NOW + 100, NOW);
    expect(revoked.has('one-id-0123456789abcdef', NOW + 99)).toBe(true);
    expect(revoked.has('one-id-0123456789abcdef', NOW + 100)).toBe(false);
    expect(revoked.has('other-id-0123456789abcd', NOW)).toBe(false);
    revoked.revoke('two-id-0123456789abcdef', NOW + 100, NOW);
    revoked.revoke('three-id-0123456789abcd', NOW + 100, NOW);
    // The oldest is dropped at the bound.
    expect(revoked.has('one-id-0123456789abcdef', NOW)).toBe(false);
    expect(revoked.has('three-id-0123456789abcd', NOW)).toBe(true);
  });
});

describe('SignInLinks', () => {
  it('accepts a token once, before it expires', async () => {
    const clock = new ManualClock(NOW);
    const links = new SignInLinks({ clock, ttlMs: 1000 });
    const token = links.issue();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(links.consume(token)).toBe(true);
    expect(links.consume(token)).toBe(false);
    const late = links.issue();
    await clock.advance(1000);
    expect(links.consume(late)).toBe(false);
    expect(links.consume('made-up-token')).toBe(false);
  });
});

describe('cameOverTls', () => {
  it.each<[string, 'http' | 'https', Record<string, string | string[]>, boolean]>([
    ['plain HTTP', 'http', {}, false],
    ["the hub's own TLS", 'https', {}, true],
    ['a proxy that says https', 'http', { 'x-forwarded-proto': 'https' }, true],
    ['the first hop of several, any case', 'http', { 'x-forwarded-proto': 'HTTPS, http' }, true],
    ['a proxy that says http', 'http', { 'x-forwarded-proto': 'http' }, false],
    ['a repeated header: the first counts', 'http', { 'x-forwarded-proto': ['https', 'http'] }, true],
  ])('%s', (_name, protocol, headers, expected) => {
    expect(cameOverTls({ protocol, headers })).toBe(expected);
  });
});
