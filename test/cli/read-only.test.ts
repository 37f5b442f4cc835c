import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/stack.js';
import { wxtoken } from './support.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterAll(async () => cleanup());

// Finding 9 of issue 13: `app list` on a mistyped SQLite path created a new database and a new master key.
describe('commands that only read never create a store (issue 13, finding 9)', () => {
  it.each([
    ['app', 'list'],
    ['app', 'list', '--json'],
    ['app', 'remove', 'wx0123456789abcdef'],
    ['key', 'list'],
    ['key', 'revoke', 'billing'],
    ['token', 'wx0123456789abcdef'],
  ])('%s %s on a missing SQLite file: a clear error, exit 1, nothing created', async (...args) => {
    const db = join(dir, 'mistyped', 'wxtokn.db');
    const res = await wxtoken([...args, '--store', `sqlite:${db}`], {});
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(`wxtoken: store sqlite:${db} does not exist (no such file); check --store or WXTOKEN_STORE (a new store is created by \`wxtoken app add\` or \`wxtoken serve\`)\n`);
    expect(existsSync(join(dir, 'mistyped'))).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('still reads an existing store', async () => {
    const db = join(dir, 'real.db');
    const env = { WXTOKEN_STORE: `sqlite:${db}`, WXTOKEN_MASTER_KEY: 'cd'.repeat(32), S: 'app-secret' };
    expect((await wxtoken(['app', 'add', 'wx0123456789abcdef', '--secret-env', 'S'], env)).code).toBe(0);
    const listed = await wxtoken(['app', 'list', '--json'], env);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toHaveLength(1);
  });
});

describe('wxtoken --version', () => {
  it('prints the package version', async () => {
    const { version } = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const res = await wxtoken([flag]);
      expect(res).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    }
  });
});
