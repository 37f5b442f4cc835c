import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import { tempDir } from '../support/stack.js';
import { wxtoken } from './support.js';

const CORPID = 'ww0000000000000d04';
const AGENT_SECRET = 'cli-agent-secret-0123456789abcdef012';
const CONTACTS_SECRET = 'cli-contacts-secret-0123456789abcdef';
let dir: string;
let cleanup: () => Promise<void>;
let sim: Simulator;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  sim = createSimulator({ corps: [{ corpid: CORPID, apps: [{ agentid: 1000002, secret: AGENT_SECRET }, { name: 'contacts', secret: CONTACTS_SECRET }] }] });
  const simUrl = await sim.listen({ host: '127.0.0.1', port: 0 });
  env = { WXTOKEN_STORE: `sqlite:${join(dir, 'cli.db')}`, WXTOKEN_MASTER_KEY: 'cd'.repeat(32), WXTOKEN_WECOM_UPSTREAM: simUrl, AGENT_SECRET };
});
afterAll(async () => {
  await sim.close();
  await cleanup();
});

describe('wxtoken wecom', () => {
  it('is documented in --help', async () => {
    expect((await wxtoken(['--help'])).stdout).toContain('wecom');
    const add = await wxtoken(['wecom', 'add', '--help']);
    for (const flag of ['--agent', '--secret-stdin', '--secret-env']) expect(add.stdout).toContain(flag);
  });

  it('adds, lists, reads the token of and removes WeCom apps without ever printing a secret', async () => {
    const added = await wxtoken(['wecom', 'add', CORPID, '--agent', '1000002', '--secret-env', 'AGENT_SECRET'], env);
    expect(added).toMatchObject({ code: 0, stdout: `added WeCom app 1000002 of corp ${CORPID}\n` });
    const viaStdin = await wxtoken(['wecom', 'add', CORPID, '--agent', 'contacts', '--secret-stdin'], env, `${CONTACTS_SECRET}\n`);
    expect(viaStdin.code).toBe(0);
    const again = await wxtoken(['wecom', 'add', CORPID, '--agent', '1000002', '--secret-env', 'AGENT_SECRET'], env);
    expect(again.stdout).toContain('updated');

    const token = await wxtoken(['wecom', 'token', CORPID, '--agent', '1000002'], env);
    expect(token.code).toBe(0);
    const value = token.stdout.trim();
    expect(((await (await fetch(`${String(env.WXTOKEN_WECOM_UPSTREAM)}/cgi-bin/getcallbackip?access_token=${value}`)).json()) as { ip_list?: unknown }).ip_list).toBeDefined();
    const json = JSON.parse((await wxtoken(['wecom', 'token', CORPID, '--agent', '1000002', '--json'], env)).stdout) as { access_token: string; expires_in: number };
    expect(json.access_token).toBe(value);

    const list = await wxtoken(['wecom', 'list', '--json'], env);
    const agents = JSON.parse(list.stdout) as Array<{ corpid: string; agent: string }>;
    expect(agents.map((a) => a.agent).sort()).toEqual(['1000002', 'contacts']);
    const table = await wxtoken(['wecom', 'list'], env);
    expect(table.stdout).toMatch(/CORPID\s+AGENT\s+STATE/);
    for (const out of [added, viaStdin, again, list, table]) {
      expect(out.stdout + out.stderr).not.toContain(AGENT_SECRET);
      expect(out.stdout + out.stderr).not.toContain(CONTACTS_SECRET);
    }

    expect((await wxtoken(['wecom', 'remove', CORPID, '--agent', 'contacts'], env)).code).toBe(0);
    const missing = await wxtoken(['wecom', 'remove', CORPID, '--agent', 'contacts'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('not registered');
  });

  it('refuses a secret as an argument, a missing secret and malformed names, with usage errors', async () => {
    expect((await wxtoken(['wecom', 'add', CORPID, '--agent', '1', '--secret', 'x'], env)).code).toBe(2);
    expect((await wxtoken(['wecom', 'add', CORPID, '--agent', '1'], env)).code).toBe(2);
    expect((await wxtoken(['wecom', 'add', CORPID, '--secret-env', 'AGENT_SECRET'], env)).code).toBe(2);
    const bad = await wxtoken(['wecom', 'add', 'not a corp', '--agent', '1', '--secret-env', 'AGENT_SECRET'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('invalid corpid');
  });
});
