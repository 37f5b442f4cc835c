import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/index.js';
import { assertRandomKey, estimateKeyBits, weakKeyReason } from '../../src/server/index.js';

// Finding 7 of issue 13: an admin key of `aaaaaaaaaaaaaaaa` was accepted.
describe('key strength (issue 13, finding 7)', () => {
  it.each([
    'aaaaaaaaaaaaaaaa',
    'a'.repeat(64),
    'admin-key-0123456789',
    'password1234567890123456',
    'correct horse battery staple horse',
    '0123456789abcdef0123456789abcdef',
    'abcdefghijklmnopqrstuvwxyzabcdefghij',
    'abcdefghijklmnopqrstuvwxyz0123456789ABCDEF',
    'abcabcabcabcabcabcabcabcabcabcabc',
    'AbAbAbAbAbAbAbAbAbAbAbAbAbAbAbAb',
    '12345678901234567890123456789012',
    '0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f',
    'ab'.repeat(32),
    'Zz9!Zz9!Zz9!Zz9!Zz9!Zz9!',
    `${randomBytes(15).toString('hex')}`,
    'kÃ©y-with-non-ascii-ch4racters-0123',
  ])('rejects %j', (key) => {
    expect(weakKeyReason(key)).not.toBeNull();
    expect(() => assertRandomKey(key, 'WXTOKEN_ADMIN_KEY')).toThrow(ConfigError);
    try {
      assertRandomKey(key, 'WXTOKEN_ADMIN_KEY');
    } catch (err) {
      const message = (err as Error).message;
      expect(message).toMatch(/^WXTOKEN_ADMIN_KEY does not look like a random key: /);
      expect(message).toContain('openssl rand -hex 32');
      expect(message).not.toContain(key);
    }
  });

  it.each<[string, () => string]>([
    ['openssl rand -hex 16', () => randomBytes(16).toString('hex')],
    ['openssl rand -hex 24 (the README)', () => randomBytes(24).toString('hex')],
    ['openssl rand -hex 32', () => randomBytes(32).toString('hex')],
    ['upper-case hex', () => randomBytes(16).toString('hex').toUpperCase()],
    ['openssl rand -base64 16', () => randomBytes(16).toString('base64')],
    ['openssl rand -base64 32', () => randomBytes(32).toString('base64')],
    ['base64url of 24 bytes', () => randomBytes(24).toString('base64url')],
    ["the demo's generated admin key", () => `adm_${randomBytes(24).toString('base64url')}`],
    ['a client key', () => `wxt_${randomBytes(32).toString('base64url')}`],
  ])('accepts every one of 5,000 keys made by %s', (_name, make) => {
    const rejected: string[] = [];
    for (let i = 0; i < 5_000; i++) {
      const key = make();
      if (weakKeyReason(key) !== null) rejected.push(`${key}: ${weakKeyReason(key)}`);
    }
    expect(rejected).toEqual([]);
  });

  it('estimates bits from length and character classes', () => {
    expect(estimateKeyBits('0'.repeat(32))).toBeCloseTo(32 * Math.log2(10));
    expect(estimateKeyBits('ab12'.repeat(8))).toBe(128);
    expect(estimateKeyBits('aB3_'.repeat(6))).toBe(144);
    expect(estimateKeyBits('ab!'.repeat(10))).toBeCloseTo(30 * Math.log2(59));
  });
});
