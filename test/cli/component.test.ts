import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthorizationFailures } from '../../src/core/open-platform/authorization-failures.js';
import { openStore } from '../../src/stores/open-store.js';
import { tempDir } from '../support/stack.js';
import { wxtoken } from './support.js';

const MASTER = 'ab'.repeat(32);
const COMPONENT = 'wxc0000000000000c1';
const SECRET = 'component-secret-0123456789abcdef';
const MSG_TOKEN = 'msgToken123';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
let cleanup: () => Promise<void>;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  const t = await tempDir();
  cleanup = t.cleanup;
  env = { WXTOKEN_STORE: `sqlite:${join(t.dir, 'cli.db')}`, WXTOKEN_MASTER_KEY: MASTER, C_SECRET: SECRET, C_TOKEN: MSG_TOKEN, C_AES: AES_KEY };
});
afterAll(() => cleanup());

describe('wxtoken component / authorizer', () => {
  it('adds a component from environment variables and stdin, lists it, never prints a secret', async () => {
    const added = await wxtoken(['component', 'add', COMPONENT, '--secret-env', 'C_SECRET', '--token-env', 'C_TOKEN', '--aes-key-env', 'C_AES'], env);
    expect(added.code).toBe(0);
    expect(added.stdout).toContain(`added component ${COMPONENT}`);
    expect(added.stdout).toContain(`/open/${COMPONENT}/events`);
    const again = await wxtoken(['component', 'add', COMPONENT, '--secret-stdin', '--token-env', 'C_TOKEN', '--aes-key-env', 'C_AES'], env, `${SECRET}\n`);
    expect(again.stdout).toContain(`updated component ${COMPONENT}`);
    const listed = await wxtoken(['component', 'list', '--json'], env);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ componentAppid: COMPONENT, verifyTicket: { health: 'missing' } })]);
    const table = await wxtoken(['component', 'list'], env);
    expect(table.stdout).toMatch(/COMPONENT\s+TICKET\s+TICKET AGE/);
    for (const r of [added, again, listed, table]) {
      for (const secret of [SECRET, MSG_TOKEN, AES_KEY]) expect(r.stdout + r.stderr).not.toContain(secret);
    }
    const authorizers = await wxtoken(['authorizer', 'list', '--component', COMPONENT], env);
    expect(authorizers).toMatchObject({ code: 0, stdout: 'no authorizers\n' });
  });

  it('lists the last authorization code WeChat refused', async () => {
    // An instance recorded a refused code in the shared store (as the redirect target or the event handler does).
    const store = await openStore(env.WXTOKEN_STORE!);
    const at = Date.UTC(2026, 5, 1, 10, 2, 11);
    try {
      await new AuthorizationFailures(store).offer(COMPONENT, { at, errcode: 61010, source: 'redirect' });
    } finally {
      await store.close();
    }
    const table = await wxtoken(['component', 'list'], env);
    expect(table.stdout).toMatch(/LAST REFUSED CODE/);
    expect(table.stdout).toContain('61010 redirect 2026-06-01T10:02:11.000Z');
    const listed = await wxtoken(['component', 'list', '--json'], env);
    expect(JSON.parse(listed.stdout)[0].lastAuthorizationFailure).toEqual({ at, errcode: 61010, source: 'redirect' });
  });

  it('refuses secrets as arguments, a bad EncodingAESKey and a bad status filter (exit code 2)', async () => {
    expect((await wxtoken(['component', 'add', COMPONENT, '--secret', SECRET], env)).code).toBe(2);
    expect((await wxtoken(['component', 'add', COMPONENT, '--secret-env', 'C_SECRET', '--aes-key-env', 'C_AES'], env)).code).toBe(2);
    const badKey = await wxtoken(['component', 'add', COMPONENT, '--secret-env', 'C_SECRET', '--token-env', 'C_TOKEN', '--aes-key-env', 'C_TOKEN'], env);
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toContain('EncodingAESKey');
    expect((await wxtoken(['authorizer', 'list', '--state', 'sleepy'], env)).code).toBe(2);
  });

  it('documents the commands in --help', async () => {
    const help = await wxtoken(['component', 'add', '--help']);
    for (const flag of ['--secret-stdin', '--secret-env', '--token-env', '--aes-key-env']) expect(help.stdout).toContain(flag);
    expect((await wxtoken(['authorizer', 'list', '--help'])).stdout).toContain('--state');
  });
});
