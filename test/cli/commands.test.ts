import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demo } from '../../src/cli/commands/demo.js';
import { serve } from '../../src/cli/commands/serve.js';
import type { Simulator } from '../../src/simulator/index.js';
import { APPID, SECRET, startSimulator, tempDir } from '../support/stack.js';
import { tokenFetches } from '../support/sim-counters.js';
import { testContext, wxtoken } from './support.js';

const MASTER = 'ab'.repeat(32);
// 128 random-looking bits: serve refuses a guessable admin key (issue 13, finding 7).
const ADMIN_KEY = 'admin-key-3f9c1e7a5b2d8c4f6a0e9b1d';
let dir: string;
let cleanup: () => Promise<void>;
let sim: Simulator;
let simUrl: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  ({ sim, url: simUrl } = await startSimulator());
  env = { WXTOKEN_STORE: `sqlite:${join(dir, 'cli.db')}`, WXTOKEN_MASTER_KEY: MASTER, WXTOKEN_UPSTREAM: simUrl, APP_SECRET: SECRET };
});
afterAll(async () => {
  await sim.close();
  await cleanup();
});

describe('wxtoken CLI', () => {
  it('documents every command in --help', async () => {
    const { code, stdout } = await wxtoken(['--help']);
    expect(code).toBe(0);
    for (const cmd of ['serve', 'app', 'key', 'token', 'ticket', 'sign', 'demo', 'simulate']) expect(stdout).toContain(cmd);
    const app = await wxtoken(['app', 'add', '--help']);
    expect(app.stdout).toContain('--secret-stdin');
    expect(app.stdout).toContain('--grant');
  });

  it('adds, lists, updates and removes apps without ever printing the secret', async () => {
    const added = await wxtoken(['app', 'add', APPID, '--secret-env', 'APP_SECRET', '--grant', 'classic'], env);
    expect(added).toMatchObject({ code: 0, stdout: `added app ${APPID} (grant classic)\n` });
    const listed = await wxtoken(['app', 'list', '--json'], env);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ appid: APPID, grant: 'classic', state: 'pending' })]);
    const table = await wxtoken(['app', 'list'], env);
    expect(table.stdout).toMatch(/APPID\s+GRANT\s+STATE/);
    const viaStdin = await wxtoken(['app', 'add', 'wx00000000000000aa', '--secret-stdin'], env, 'other-secret\n');
    expect(viaStdin.stdout).toContain('added app wx00000000000000aa (grant stable)');
    const removed = await wxtoken(['app', 'remove', 'wx00000000000000aa'], env);
    expect(removed.code).toBe(0);
    for (const r of [added, listed, table, viaStdin]) expect(r.stdout + r.stderr).not.toContain(SECRET);
  });

  it('refuses secrets as plain arguments and reports usage errors with exit code 2', async () => {
    expect((await wxtoken(['app', 'add', APPID, '--secret', SECRET], env)).code).toBe(2);
    expect((await wxtoken(['app', 'add', APPID], env)).code).toBe(2);
    expect((await wxtoken(['app', 'add', APPID, '--secret-stdin', '--secret-env', 'X'], env)).code).toBe(2);
    const badAppid = await wxtoken(['app', 'add', 'wx12', '--secret-env', 'APP_SECRET'], env);
    expect(badAppid.code).toBe(2);
    expect(badAppid.stderr).toMatch(/^wxtoken: invalid appid "wx12"/);
    expect((await wxtoken(['app', 'add', APPID, '--secret-env', 'APP_SECRET', '--grant', 'other'], env)).code).toBe(2);
    expect((await wxtoken(['frobnicate'], env)).code).toBe(2);
  });

  it('reports runtime failures in one line with exit code 1', async () => {
    const missing = await wxtoken(['app', 'remove', 'wx00000000000000bb'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('wxtoken: app wx00000000000000bb is not registered\n');
    const badStore = await wxtoken(['app', 'list', '--store', 'ftp://nowhere'], env);
    expect(badStore.code).toBe(1);
    expect(badStore.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('creates a key (alone on the last stdout line), lists and revokes it', async () => {
    const created = await wxtoken(['key', 'create', '--name', 'billing', '--apps', APPID], env);
    expect(created.code).toBe(0);
    const lines = created.stdout.trim().split('\n');
    expect(lines.at(-1)).toMatch(/^wxt_[A-Za-z0-9_-]{43}$/);
    const listed = await wxtoken(['key', 'list'], env);
    expect(listed.stdout).toContain('billing');
    expect(listed.stdout).not.toContain(lines.at(-1)!);
    expect((await wxtoken(['key', 'create', '--name', 'billing', '--apps', '*'], env)).code).toBe(1);
    expect((await wxtoken(['key', 'revoke', 'billing'], env)).code).toBe(0);
    expect((await wxtoken(['key', 'revoke', 'billing'], env)).code).toBe(1);
  });

  it('prints a token, fetching only when none valid is stored', async () => {
    const before = tokenFetches(sim, APPID);
    const first = await wxtoken(['token', APPID], env);
    expect(first.code).toBe(0);
    const second = await wxtoken(['token', APPID, '--json'], env);
    expect(JSON.parse(second.stdout)).toMatchObject({ access_token: first.stdout.trim(), expires_in: expect.any(Number) });
    expect(tokenFetches(sim, APPID) - before).toBe(1);
    const forced = await wxtoken(['token', APPID, '--force'], env);
    expect(forced.stdout.trim()).not.toBe(first.stdout.trim());
  });

  it('prints a ticket alone on the last line, and a wx.config the simulator accepts', async () => {
    const ticket = await wxtoken(['ticket', APPID], env);
    expect(ticket.code).toBe(0);
    const value = ticket.stdout.trim().split('\n').at(-1)!;
    const json = await wxtoken(['ticket', APPID, '--type', 'jsapi', '--json'], env);
    expect(JSON.parse(json.stdout)).toMatchObject({ ticket: value, expires_in: expect.any(Number), age_known: false });
    expect((await wxtoken(['ticket', APPID, '--type', 'agent_config'], env)).code).toBe(2);
    const url = 'https://example.com/page?x=1';
    const signed = await wxtoken(['sign', APPID, '--url', url], env);
    expect(signed.code).toBe(0);
    const config = JSON.parse(signed.stdout) as { appId: string; timestamp: number; nonceStr: string; signature: string };
    expect(config.appId).toBe(APPID);
    const verdict = await fetch(`${simUrl}/__sim/jssdk/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ appid: APPID, kind: 'jsapi', url, nonceStr: config.nonceStr, timestamp: config.timestamp, signature: config.signature }),
    });
    expect(await verdict.json()).toMatchObject({ valid: true });
    expect((await wxtoken(['sign', APPID], env)).code).toBe(2);
  });
});

describe('long-running commands', () => {
  it('serve answers until stopped, then closes cleanly', async () => {
    const ctx = testContext({ ...env, WXTOKEN_ADMIN_KEY: ADMIN_KEY });
    let url = '';
    const running = serve(ctx, { listen: '127.0.0.1:0', logLevel: 'silent' }, (u) => (url = u));
    await expect.poll(() => url, { timeout: 10_000 }).not.toBe('');
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const apps = await fetch(`${url}/v1/apps`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(JSON.stringify(await apps.json())).toContain(APPID);
    ctx.stop();
    await running;
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    expect(ctx.out()).toContain('wxtoken hub listening on');
  });

  it('serve rejects a bad listen address as a usage error', async () => {
    expect((await wxtoken(['serve', '--listen', 'localhost'], env)).code).toBe(2);
  });

  it('demo wires the hub to the simulator with working demo credentials', async () => {
    const ctx = testContext({ WXTOKEN_LOG_LEVEL: 'silent' });
    let info: { hubUrl: string; clientKey: string } | undefined;
    const running = demo(ctx, { listen: '127.0.0.1:0' }, (i) => (info = i));
    await expect.poll(() => info, { timeout: 10_000 }).toBeDefined();
    const res = await fetch(`${info!.hubUrl}/v1/apps/wx00000000000000d1/access-token`, { headers: { authorization: `Bearer ${info!.clientKey}` } });
    expect(res.status).toBe(200);
    expect(ctx.out()).toContain('curl -s -H');
    ctx.stop();
    await running;
  });
});
