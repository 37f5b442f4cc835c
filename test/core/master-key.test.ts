import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadMasterKey, MASTER_KEY_ENV, parseKey, type MasterKeyFs } from '../../src/core/master-key.js';
import { ConfigError } from '../../src/errors/index.js';

const HEX = 'a1'.repeat(32);
const KEY = Buffer.from(HEX, 'hex');

describe('loadMasterKey', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wxtoken-key-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('takes the key from WXTOKEN_MASTER_KEY as hex, base64 or base64url, before any file', async () => {
    const storeUrl = `sqlite:${join(dir, 'wxtoken.db')}`;
    for (const text of [HEX, HEX.toUpperCase(), KEY.toString('base64'), KEY.toString('base64url'), ` ${HEX}\n`]) {
      const result = await loadMasterKey({ env: { [MASTER_KEY_ENV]: text }, storeUrl });
      expect(result.key.equals(KEY)).toBe(true);
      expect(result.source).toBe('env');
    }
    expect(existsSync(join(dir, 'wxtoken.db.key'))).toBe(false);
  });

  it('rejects a bad variable, naming it without echoing the value', async () => {
    for (const bad of ['a1'.repeat(31), 'not a key at all!', Buffer.alloc(16, 1).toString('base64'), 'zz'.repeat(32)]) {
      const error = await loadMasterKey({ env: { [MASTER_KEY_ENV]: bad }, storeUrl: 'memory:' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain(MASTER_KEY_ENV);
      expect((error as Error).message).not.toContain(bad);
    }
  });

  it('creates <db>.key with mode 0600 once, then reads it back', async () => {
    const storeUrl = `sqlite:${join(dir, 'data', 'wxtoken.db')}`;
    const path = join(dir, 'data', 'wxtoken.db.key');
    const created = await loadMasterKey({ env: {}, storeUrl, randomBytes: (n) => Buffer.alloc(n, 5) });
    expect(created).toEqual({ key: Buffer.alloc(32, 5), previous: [], source: 'created', path, warnings: [] });
    expect(readFileSync(path, 'utf8')).toBe(`${'05'.repeat(32)}\n`);
    if (process.platform !== 'win32') expect(statSync(path).mode & 0o777).toBe(0o600);

    const again = await loadMasterKey({ env: {}, storeUrl, randomBytes: () => Buffer.alloc(32, 6) });
    expect(again).toEqual({ key: Buffer.alloc(32, 5), previous: [], source: 'file', path, warnings: [] });
  });

  it('reads previous keys from the key file\'s further lines and from WXTOKEN_MASTER_KEY_PREVIOUS', async () => {
    const storeUrl = `sqlite:${join(dir, 'wxtoken.db')}`;
    writeFileSync(join(dir, 'wxtoken.db.key'), `${'07'.repeat(32)}\n${'08'.repeat(32)}\n\n`, { mode: 0o600 });
    const fromFile = await loadMasterKey({ env: {}, storeUrl });
    expect(fromFile.key).toEqual(Buffer.alloc(32, 7));
    expect(fromFile.previous).toEqual([Buffer.alloc(32, 8)]);

    const env = { WXTOKEN_MASTER_KEY: '01'.repeat(32), WXTOKEN_MASTER_KEY_PREVIOUS: `${'02'.repeat(32)}, ${Buffer.alloc(32, 3).toString('base64')}` };
    const fromEnv = await loadMasterKey({ env, storeUrl });
    expect(fromEnv.key).toEqual(Buffer.alloc(32, 1));
    expect(fromEnv.previous).toEqual([Buffer.alloc(32, 2), Buffer.alloc(32, 3)]);

    const both = await loadMasterKey({ env: { WXTOKEN_MASTER_KEY_PREVIOUS: '02'.repeat(32) }, storeUrl });
    expect(both.previous).toEqual([Buffer.alloc(32, 8), Buffer.alloc(32, 2)]);
    await expect(loadMasterKey({ env: { ...env, WXTOKEN_MASTER_KEY_PREVIOUS: 'nope' }, storeUrl })).rejects.toThrow(/WXTOKEN_MASTER_KEY_PREVIOUS \(entry 1\)/);
  });

  it('derives the key file from every sqlite URL form, defaulting to ./wxtoken.db.key', async () => {
    const calls: string[] = [];
    const fs: MasterKeyFs = {
      stat: async (p) => {
        calls.push(p);
        return { mode: 0o100600, isFile: () => true };
      },
      readFile: async () => Buffer.from(HEX),
      writeFile: async () => {},
      mkdir: async () => undefined,
    };
    await loadMasterKey({ env: {}, fs });
    await loadMasterKey({ env: {}, fs, storeUrl: 'sqlite:///var/lib/wxtoken/hub.db' });
    await loadMasterKey({ env: {}, fs, storeUrl: 'sqlite:rel.db' });
    await loadMasterKey({ env: {}, fs, keyPath: '/etc/wxtoken.key', storeUrl: 'sqlite:x.db' });
    expect(calls).toEqual(['./wxtoken.db.key', '/var/lib/wxtoken/hub.db.key', 'rel.db.key', '/etc/wxtoken.key']);
  });

  it('accepts a key file in base64, and warns when others can read it', async () => {
    const path = join(dir, 'wxtoken.db.key');
    writeFileSync(path, `${KEY.toString('base64')}\n`);
    chmodSync(path, 0o644);
    const result = await loadMasterKey({ env: {}, storeUrl: `sqlite:${join(dir, 'wxtoken.db')}` });
    expect(result.key.equals(KEY)).toBe(true);
    expect(result.source).toBe('file');
    if (process.platform !== 'win32') {
      expect(result.warnings).toHaveLength(1);
      expect(result.warnings[0]).toMatch(/0644.*chmod 600/);
      expect(result.warnings[0]).not.toContain(KEY.toString('base64'));
    }
  });

  it('rejects a malformed key file, naming the file and not its content', async () => {
    const path = join(dir, 'wxtoken.db.key');
    writeFileSync(path, 'secret-looking-garbage', { mode: 0o600 });
    const error = await loadMasterKey({ env: {}, keyPath: path }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(path);
    expect((error as Error).message).not.toContain('secret-looking-garbage');
  });

  it('rejects a key path that is a directory or unreadable', async () => {
    await expect(loadMasterKey({ env: {}, keyPath: dir })).rejects.toThrow(/not a regular file/);
    const fs: MasterKeyFs = {
      stat: async () => {
        throw Object.assign(new Error('denied'), { code: 'EACCES' });
      },
      readFile: async () => Buffer.alloc(0),
      writeFile: async () => {},
      mkdir: async () => undefined,
    };
    const error = await loadMasterKey({ env: {}, keyPath: '/k', fs }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/cannot read master key file \/k \(EACCES\)/);
  });

  it('reads the key another process created first instead of overwriting it', async () => {
    let statCalls = 0;
    const fs: MasterKeyFs = {
      stat: async () => {
        if (statCalls++ === 0) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
        return { mode: 0o100600, isFile: () => true };
      },
      readFile: async () => Buffer.from(HEX),
      writeFile: async () => {
        throw Object.assign(new Error('exists'), { code: 'EEXIST' });
      },
      mkdir: async () => undefined,
    };
    const result = await loadMasterKey({ env: {}, keyPath: '/k', fs });
    expect(result.source).toBe('file');
    expect(result.key.equals(KEY)).toBe(true);
  });

  it('reports a key file it cannot create', async () => {
    await expect(
      loadMasterKey({ env: {}, keyPath: join(dir, 'file-not-dir'), fs: failingWrite('EROFS') }),
    ).rejects.toThrow(/cannot create master key file .*EROFS.*WXTOKEN_MASTER_KEY/);
  });

  it('uses an ephemeral key for a memory store, and an empty variable counts as unset', async () => {
    const a = await loadMasterKey({ env: { [MASTER_KEY_ENV]: '' }, storeUrl: 'memory:' });
    const b = await loadMasterKey({ env: {}, storeUrl: 'memory:' });
    expect(a.source).toBe('ephemeral');
    expect(a.key).toHaveLength(32);
    expect(a.key.equals(b.key)).toBe(false);
  });

  it('requires the variable for distributed stores', async () => {
    for (const storeUrl of ['redis://127.0.0.1:6379/0', 'postgres://u:pw@127.0.0.1/db']) {
      const error = await loadMasterKey({ env: {}, storeUrl }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain(MASTER_KEY_ENV);
      expect((error as Error).message).not.toContain('pw');
    }
    const ok = await loadMasterKey({ env: { [MASTER_KEY_ENV]: HEX }, storeUrl: 'redis://127.0.0.1:6379' });
    expect(ok.source).toBe('env');
  });
});

describe('parseKey', () => {
  it('accepts unpadded base64 and rejects 32 hex characters', () => {
    expect(parseKey(KEY.toString('base64').replace(/=+$/, ''), 'x').equals(KEY)).toBe(true);
    expect(() => parseKey('ab'.repeat(16), 'x')).toThrow(/got 32 characters/);
  });
});

function failingWrite(code: string): MasterKeyFs {
  return {
    stat: async () => {
      throw Object.assign(new Error('missing'), { code: 'ENOENT' });
    },
    readFile: async () => Buffer.alloc(0),
    writeFile: async () => {
      throw Object.assign(new Error('nope'), { code });
    },
    mkdir: async () => undefined,
  };
}
