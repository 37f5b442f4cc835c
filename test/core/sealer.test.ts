import { describe, expect, it } from 'vitest';
import { createSealer, masterKeyId } from '../../src/core/sealer.js';
import { createSecretBox } from '../../src/core/secret-box.js';
import { ConfigError } from '../../src/errors/index.js';

const OLD = Buffer.alloc(32, 1);
const NEW = Buffer.alloc(32, 2);
const CTX = 'credential:wx0123456789abcdef:access_token';

describe('createSealer', () => {
  it('seals as v2.<keyid>.… under the current key and opens it', () => {
    const sealer = createSealer({ current: NEW });
    const sealed = sealer.seal('74_token', CTX);
    expect(sealed).toMatch(new RegExp(`^v2\\.${masterKeyId(NEW)}\\.[\\w-]{16}\\.[\\w-]{22}\\.[\\w-]+$`));
    expect(sealed).not.toContain('74_token');
    expect(sealer.open(sealed, CTX)).toBe('74_token');
    expect(sealer.isSealed(sealed)).toBe(true);
    expect(sealer.isCurrent(sealed)).toBe(true);
    expect(sealer.currentKeyId).toBe(masterKeyId(NEW));
  });

  it('key ids are short, stable and differ between keys', () => {
    expect(masterKeyId(NEW)).toMatch(/^[0-9a-f]{8}$/);
    expect(masterKeyId(NEW)).toBe(masterKeyId(Buffer.alloc(32, 2)));
    expect(masterKeyId(NEW)).not.toBe(masterKeyId(OLD));
  });

  it('opens values sealed under a previous key, and 0.1.0 values (v1, no key id) under any key', () => {
    const before = createSealer({ current: OLD });
    const during = createSealer({ current: NEW, previous: [OLD] });
    const sealedBefore = before.seal('secret', 'wx0123456789abcdef');
    expect(during.open(sealedBefore, 'wx0123456789abcdef')).toBe('secret');
    expect(during.isCurrent(sealedBefore)).toBe(false);
    const legacy = createSecretBox(OLD).seal('secret', 'wx0123456789abcdef');
    expect(during.isSealed(legacy)).toBe(true);
    expect(during.isCurrent(legacy)).toBe(false);
    expect(during.open(legacy, 'wx0123456789abcdef')).toBe('secret');
    expect(createSealer({ current: OLD }).open(legacy, 'wx0123456789abcdef')).toBe('secret');
  });

  it('an instance without the sealing key says which key is missing, never a value', () => {
    const sealed = createSealer({ current: NEW }).seal('74_token', CTX);
    const other = createSealer({ current: OLD });
    expect(() => other.open(sealed, CTX)).toThrow(ConfigError);
    expect(() => other.open(sealed, CTX)).toThrow(new RegExp(`master key "${masterKeyId(NEW)}".*WXTOKEN_MASTER_KEY_PREVIOUS`));
    try {
      other.open(sealed, CTX);
    } catch (err) {
      expect(String(err)).not.toContain('74_token');
    }
    expect(() => createSealer({ current: OLD }).open(createSecretBox(NEW).seal('x', CTX), CTX)).toThrow(ConfigError);
  });

  it('binds values to their context and refuses altered ones', () => {
    const sealer = createSealer({ current: NEW });
    const sealed = sealer.seal('74_token', CTX);
    expect(() => sealer.open(sealed, 'credential:wxfedcba9876543210:access_token')).toThrow(ConfigError);
    expect(() => sealer.open(`${sealed.slice(0, -2)}AA`, CTX)).toThrow(ConfigError);
    expect(() => sealer.open(sealed.replace(/^v2\.(\w{8})\./, 'v2.$1x'), CTX)).toThrow(ConfigError);
  });

  it('tells sealed values from WeChat tokens and tickets, which contain no dot', () => {
    const sealer = createSealer({ current: NEW });
    for (const plain of ['74_zXWeyocQB3q-abc_DEF', 'HoagFKDcsGMVCIY2vOjf9nGrR', 'v1_not_sealed', 'FIXTURE_TOKEN_STABLE']) {
      expect(sealer.isSealed(plain)).toBe(false);
    }
  });
});
