import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyExpiry, parseDuration, parseInstant } from '../../src/cli/commands/key-expiry.js';
import { APPID, tempDir } from '../support/stack.js';
import { wxtoken } from './support.js';

describe('key expiry flags', () => {
  it.each([
    ['90d', 90 * 86_400_000],
    ['12h', 12 * 3_600_000],
    ['30m', 1_800_000],
    ['45s', 45_000],
    ['2w', 14 * 86_400_000],
  ])('--expires-in %s = %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));
  it.each(['', '0d', '90', 'd', '1.5d', '-1d', '90 days', '9999999d'])('--expires-in %j is refused', (text) => expect(() => parseDuration(text)).toThrow(/unit/));
  it('--expires-at needs a zone', () => {
    expect(parseInstant('2027-03-01T00:00:00Z')).toBe(Date.UTC(2027, 2, 1));
    expect(parseInstant('2027-03-01T08:00+08:00')).toBe(Date.UTC(2027, 2, 1));
    expect(() => parseInstant('2027-03-01T00:00:00')).toThrow(/zone/);
    expect(() => parseInstant('tomorrow')).toThrow(/zone/);
  });
  it('keyExpiry: relative to now, absolute, or none', () => {
    expect(keyExpiry({ expiresIn: 1_000 }, 5)).toBe(1_005);
    expect(keyExpiry({ expiresAt: 7 }, 5)).toBe(7);
    expect(keyExpiry({}, 5)).toBeNull();
  });
});

describe('wxtoken key', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    env = { WXTOKEN_STORE: `sqlite:${join(dir, 'keys.db')}`, WXTOKEN_MASTER_KEY: 'ef'.repeat(32) };
  });
  afterAll(async () => cleanup());

  it('creates sign-only and expiring keys and lists created, expires and last-used times', async () => {
    const signer = await wxtoken(['key', 'create', '--name', 'front', '--apps', APPID, '--sign-only', '--expires-in', '90d'], env);
    expect(signer.code, signer.stderr).toBe(0);
    expect(signer.stdout.trim().split('\n').at(-1)).toMatch(/^wxt_/);
    expect(signer.stderr).toMatch(/sign-only key front .* valid until \d{4}-/);
    const wecom = await wxtoken(['key', 'create', '--name', 'corp', '--apps', 'wecom:ww0123456789abcdef/*', '--expires-at', '2099-01-01T00:00:00Z'], env);
    expect(wecom.code, wecom.stderr).toBe(0);

    const table = await wxtoken(['key', 'list'], env);
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME\s+APPS\s+CAPABILITIES\s+CREATED\s+EXPIRES\s+LAST USED$/);
    expect(table.stdout).toMatch(/corp\s+wecom:ww0123456789abcdef\/\*\s+read-token,sign,login\s+\S+\s+2099-01-01T00:00:00.000Z\s+never/);
    expect(table.stdout).toMatch(/front\s+wx0123456789abcdef\s+sign\s+/);

    const json = JSON.parse((await wxtoken(['key', 'list', '--json'], env)).stdout) as Array<Record<string, unknown>>;
    expect(json.find((k) => k.name === 'front')).toMatchObject({ capabilities: ['sign'], expiresAt: expect.any(Number), lastUsedAt: null });
  });

  it('creates login-only keys, and refuses a key both sign-only and login-only', async () => {
    const login = await wxtoken(['key', 'create', '--name', 'login-svc', '--apps', APPID, '--login-only'], env);
    expect(login.code, login.stderr).toBe(0);
    expect(login.stderr).toMatch(/login-only key login-svc for wx0123456789abcdef/);
    const json = JSON.parse((await wxtoken(['key', 'list', '--json'], env)).stdout) as Array<Record<string, unknown>>;
    expect(json.find((k) => k.name === 'login-svc')).toMatchObject({ capabilities: ['login'] });
    const both = await wxtoken(['key', 'create', '--name', 'both', '--apps', APPID, '--login-only', '--sign-only'], env);
    expect(both.code).toBe(2);
  });

  it('refuses both expiry flags, a bad duration, a past time and a bad scope as usage errors', async () => {
    const both = await wxtoken(['key', 'create', '--name', 'x', '--apps', '*', '--expires-in', '1d', '--expires-at', '2099-01-01T00:00:00Z'], env);
    expect(both.code).toBe(2);
    expect((await wxtoken(['key', 'create', '--name', 'x', '--apps', '*', '--expires-in', 'soon'], env)).code).toBe(2);
    expect((await wxtoken(['key', 'create', '--name', 'x', '--apps', '*', '--expires-at', '2001-01-01T00:00:00Z'], env)).code).toBe(2);
    const scope = await wxtoken(['key', 'create', '--name', 'x', '--apps', 'wecom:bad'], env);
    expect(scope.code).toBe(2);
    expect(scope.stderr).toMatch(/invalid scope "wecom:bad"/);
  });

  it('documents the new flags in --help', async () => {
    const help = await wxtoken(['key', 'create', '--help'], env);
    for (const flag of ['--sign-only', '--login-only', '--expires-in', '--expires-at', 'wecom:', 'component:']) expect(help.stdout).toContain(flag);
  });
});
