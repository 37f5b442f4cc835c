import { describe, expect, it } from 'vitest';
import { createSecretBox } from '../../src/core/secret-box.js';
import { ConfigError } from '../../src/errors/index.js';

const key = Buffer.alloc(32, 7);
const SECRET = '0123456789abcdef0123456789abcdef';
const APPID = 'wx0123456789abcdef';

describe('createSecretBox', () => {
  it('round-trips a secret bound to its app', () => {
    const box = createSecretBox(key);
    const sealed = box.seal(SECRET, APPID);
    expect(sealed).toMatch(/^v1\.[\w-]{16}\.[\w-]{22}\.[\w-]+$/);
    expect(sealed).not.toContain(SECRET);
    expect(box.open(sealed, APPID)).toBe(SECRET);
    expect(box.open(box.seal('', APPID), APPID)).toBe('');
    expect(box.open(box.seal('密钥 🙂', APPID), APPID)).toBe('密钥 🙂');
  });

  it('uses a fresh IV for every seal', () => {
    const box = createSecretBox(key);
    expect(box.seal(SECRET, APPID)).not.toBe(box.seal(SECRET, APPID));
  });

  it('refuses to open a secret under another app (context is authenticated)', () => {
    const box = createSecretBox(key);
    expect(() => box.open(box.seal(SECRET, APPID), 'wxffffffffffffffff')).toThrow(ConfigError);
  });

  it('refuses a value sealed with another key, without echoing anything secret', () => {
    const sealed = createSecretBox(key).seal(SECRET, APPID);
    const other = createSecretBox(Buffer.alloc(32, 8));
    let error: unknown;
    try {
      other.open(sealed, APPID);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const text = `${(error as Error).message} ${JSON.stringify(error)} ${String((error as Error).cause)}`;
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(sealed);
    expect(text).not.toContain(key.toString('hex'));
    expect(text).toContain(APPID);
  });

  it('detects tampering with any part', () => {
    const box = createSecretBox(key);
    const sealed = box.seal(SECRET, APPID);
    const parts = sealed.split('.');
    for (let i = 1; i < 4; i++) {
      const bytes = Buffer.from(parts[i]!, 'base64url');
      bytes[0] = bytes[0]! ^ 1;
      const tampered = parts.map((p, j) => (j === i ? bytes.toString('base64url') : p)).join('.');
      expect(() => box.open(tampered, APPID), `part ${i}`).toThrow(ConfigError);
    }
  });

  it('refuses malformed and unknown-version values', () => {
    const box = createSecretBox(key);
    const [, iv, tag, ct] = box.seal(SECRET, APPID).split('.');
    for (const bad of ['', 'plain-secret', `v2.${iv}.${tag}.${ct}`, `v1.${iv}.${tag}`, `v1.AAAA.${tag}.${ct}`]) {
      expect(() => box.open(bad, APPID), bad).toThrow(ConfigError);
    }
  });

  it('rejects keys that are not 32 bytes, naming the length only', () => {
    expect(() => createSecretBox(Buffer.alloc(16))).toThrow(/32 bytes, got 16/);
  });

  it('copies the key, so later changes to the caller buffer do not matter', () => {
    const mine = Buffer.alloc(32, 3);
    const box = createSecretBox(mine);
    const sealed = box.seal(SECRET, APPID);
    mine.fill(0);
    expect(box.open(sealed, APPID)).toBe(SECRET);
  });

  it('takes IVs from the injected source', () => {
    const box = createSecretBox(key, { randomBytes: (n) => Buffer.alloc(n, 1) });
    expect(box.seal(SECRET, APPID)).toBe(box.seal(SECRET, APPID));
  });
});
