import { existsSync, readdirSync } from 'node:fs';
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

// Finding 7 of issue 13: serve checked the admin key only after opening the store and arming refreshes, then left
// the runtime open; and it accepted `aaaaaaaaaaaaaaaa`.
describe('serve validates every option before starting anything (issue 13, finding 7)', () => {
  const store = (name: string): string => `sqlite:${join(dir, name)}`;

  it('refuses a guessable admin key, says how to make one, and creates nothing', async () => {
    const db = join(dir, 'weak-admin.db');
    const res = await wxtoken(['serve', '--listen', '127.0.0.1:0', '--store', `sqlite:${db}`], { WXTOKEN_ADMIN_KEY: 'aaaaaaaaaaaaaaaa' });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^wxtoken: WXTOKEN_ADMIN_KEY does not look like a random key: .*openssl rand -hex 32/);
    expect(res.stderr).not.toContain('aaaaaaaaaaaaaaaa');
    expect(res.stdout).toBe('');
    expect(existsSync(db)).toBe(false);
    expect(existsSync(`${db}.key`)).toBe(false);
  });

  it.each<[string, string[], NodeJS.ProcessEnv, RegExp]>([
    ['a bad log level', ['--log-level', 'loud'], {}, /log level "loud"/],
    ['a bad log level from the environment', [], { WXTOKEN_LOG_LEVEL: 'verbose' }, /log level "verbose"/],
    ['a serving margin not under the lead', ['--serve-margin', '200', '--refresh-lead', '100'], {}, /--serve-margin/],
    ['a malformed master key', [], { WXTOKEN_MASTER_KEY: 'not-a-key' }, /WXTOKEN_MASTER_KEY must hold/],
    ['headers timeout above the request timeout', ['--headers-timeout', '90'], {}, /"headersTimeoutMs" \(90000\) must not exceed/],
    ['a bad store URL', ['--store', 'ftp://nowhere'], {}, /unsupported scheme/],
    ['a bad upstream', ['--upstream', 'nowhere'], {}, /invalid upstream URL/],
    ['a zero connection cap', ['--max-connections', '0'], {}, /positive whole number/],
    ['an unreadable WXTOKEN_ALLOW_CALLER_SECRET', [], { WXTOKEN_ALLOW_CALLER_SECRET: 'yes' }, /WXTOKEN_ALLOW_CALLER_SECRET must be 1, true, 0 or false/],
    ['a bad log format', ['--log-format', 'xml'], {}, /xml/],
    ['a bad log format from the environment', [], { WXTOKEN_LOG_FORMAT: 'xml' }, /log format "xml"/],
    ['an alert webhook that is not a URL', ['--alert-webhook', 'wecom+nowhere?key=ROBOTKEY'], {}, /alert webhook is not a URL .*: "wecom\+nowhere"\n$/],
    ['an alert webhook from the environment that is not http', [], { WXTOKEN_ALERT_WEBHOOKS: 'https://ok.example/x,ftp://files.example/x' }, /alert webhook must be http/],
    ['a quota threshold above 100 %', ['--alert-quota-threshold', '120'], {}, /percentage/],
    ['a replay limit above the passthrough body limit', ['--passthrough-body-limit', '4096', '--replay-body-limit', '8192'], {}, /"replayBodyLimitBytes" must be an integer from 0 to passthroughBodyLimitBytes \(4096\)/],
    ['a passthrough body limit under 1 KiB', ['--passthrough-body-limit', '100'], {}, /"passthroughBodyLimitBytes" must be an integer ≥ 1024/],
    ['a negative token check interval', ['--token-check-interval', '-1'], {}, /--token-check-interval|seconds/],
  ])('refuses %s with exit code 2, opening nothing', async (_what, args, env, message) => {
    const name = `bad-${Math.random().toString(36).slice(2)}.db`;
    const before = readdirSync(dir).length;
    const res = await wxtoken(['serve', '--listen', '127.0.0.1:0', '--store', store(name), ...args], env);
    expect(res.code, res.stderr).toBe(2);
    expect(res.stderr).toMatch(message);
    expect(res.stdout).toBe('');
    expect(readdirSync(dir)).toHaveLength(before);
  });
});
