import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/index.js';
import { MemoryStore } from '../../src/stores/memory/index.js';
import { DEFAULT_STORE_URL, openStore, parseStoreUrl } from '../../src/stores/open-store.js';
import { SqliteStore } from '../../src/stores/sqlite/index.js';

describe('parseStoreUrl', () => {
  it('parses every sqlite form', () => {
    expect(parseStoreUrl('sqlite:./rel.db')).toEqual({ kind: 'sqlite', path: './rel.db', description: 'sqlite:./rel.db' });
    expect(parseStoreUrl('sqlite:rel.db')).toMatchObject({ path: 'rel.db' });
    expect(parseStoreUrl('sqlite:/abs/x.db')).toMatchObject({ path: '/abs/x.db' });
    expect(parseStoreUrl('sqlite://./rel.db')).toMatchObject({ path: './rel.db' });
    expect(parseStoreUrl('sqlite:///abs/x.db')).toMatchObject({ path: '/abs/x.db' });
    expect(parseStoreUrl('SQLite:x.db')).toMatchObject({ kind: 'sqlite', path: 'x.db' });
    expect(parseStoreUrl(DEFAULT_STORE_URL)).toMatchObject({ path: './wxtoken.db' });
  });

  it('parses memory and network URLs, describing them without credentials', () => {
    expect(parseStoreUrl('memory:')).toEqual({ kind: 'memory', description: 'memory:' });
    expect(parseStoreUrl('redis://:hunter2@127.0.0.1:6379/2')).toEqual({
      kind: 'redis',
      url: 'redis://:hunter2@127.0.0.1:6379/2',
      description: 'redis://127.0.0.1:6379/2',
    });
    expect(parseStoreUrl('rediss://user:pw@cache.example:6380')).toMatchObject({ kind: 'redis', description: 'rediss://cache.example:6380' });
    expect(parseStoreUrl('postgres://wx:pw@db:5432/wxtoken?sslmode=require')).toMatchObject({
      kind: 'postgres',
      description: 'postgres://db:5432/wxtoken',
    });
    expect(parseStoreUrl('postgresql://db/wxtoken')).toMatchObject({ kind: 'postgres' });
  });

  it('rejects bad URLs with a ConfigError naming the source, never the password', () => {
    const cases: [string, RegExp][] = [
      ['', /--store is empty/],
      ['./wxtoken.db', /no scheme.*sqlite:\.\/wxtoken\.db/],
      ['C:\\data\\wx.db', /no scheme/],
      ['sqlite:', /no file path/],
      ['sqlite://', /no file path/],
      ['sqlite::memory:', /use memory:/],
      ['memory:foo', /memory: takes no path/],
      ['mysql://root:hunter2@db/wx', /unsupported scheme "mysql:"/],
      ['redis://:hunter2@', /not a valid URL/],
      ['redis://', /names no host/],
      ['postgres://u:hunter2@[bad', /not a valid URL/],
    ];
    for (const [url, message] of cases) {
      let error: unknown;
      try {
        parseStoreUrl(url, '--store');
      } catch (e) {
        error = e;
      }
      expect(error, url).toBeInstanceOf(ConfigError);
      expect((error as Error).message, url).toMatch(message);
      expect((error as Error).message, url).not.toContain('hunter2');
    }
  });
});

describe('openStore', () => {
  it('opens memory and sqlite stores', async () => {
    const memory = await openStore('memory:');
    expect(memory).toBeInstanceOf(MemoryStore);
    await memory.close();

    const dir = mkdtempSync(join(tmpdir(), 'wxtoken-open-'));
    try {
      const sqlite = await openStore(`sqlite:${join(dir, 'hub.db')}`, { pollIntervalMs: 100 });
      expect(sqlite).toBeInstanceOf(SqliteStore);
      expect(sqlite.description).toBe(`sqlite:${join(dir, 'hub.db')}`);
      await sqlite.ping();
      await sqlite.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('passes option errors through as ConfigError', async () => {
    await expect(openStore('sqlite:./never-created.db', { pollIntervalMs: -1 })).rejects.toThrow(ConfigError);
  });
});
