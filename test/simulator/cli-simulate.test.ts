import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CliContext } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/program.js';

interface Harness {
  ctx: CliContext;
  stop: () => void;
  out: () => string;
  err: () => string;
}

function harness(): Harness {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk) => (out += String(chunk)));
  stderr.on('data', (chunk) => (err += String(chunk)));
  const controller = new AbortController();
  return {
    ctx: { stdout, stderr, stdin: new PassThrough(), env: {}, shutdownSignal: controller.signal },
    stop: () => controller.abort(),
    out: () => out,
    err: () => err,
  };
}

async function waitForUrl(h: Harness): Promise<string> {
  for (let i = 0; i < 400; i++) {
    const match = /WeChat simulator listening on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(h.out());
    if (match?.[1]) return match[1];
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`no URL printed; stdout: ${h.out()} stderr: ${h.err()}`);
}

describe('wxtoken simulate', () => {
  it('--help documents every flag', async () => {
    const h = harness();
    expect(await runCli(['simulate', '--help'], h.ctx)).toBe(0);
    for (const flag of ['--listen', '--app', '--corp', '--token-ttl', '--grace', '--stable-window', '--force-spacing', '--latency']) {
      expect(h.out()).toContain(flag);
    }
    expect(h.out()).toContain('127.0.0.1:8081');
  });

  it('serves the configured apps with the configured durations, prints its URL and exits 0 on shutdown', async () => {
    const h = harness();
    const run = runCli(
      [
        'simulate',
        '--listen', '127.0.0.1:0',
        '--app', 'wx0000000000000001:se:cret',
        '--app', 'wx0000000000000002:other',
        '--corp', 'ww0000000000000001:corp-secret',
        '--token-ttl', '90.5',
        '--grace', '0.25',
        '--stable-window', '10',
        '--force-spacing', '1',
        '--latency', '20',
      ],
      h.ctx,
    );
    const url = await waitForUrl(h);
    const token: any = await (await fetch(`${url}/cgi-bin/token?grant_type=client_credential&appid=wx0000000000000001&secret=se:cret`)).json();
    expect(token.expires_in).toBe(90);
    const other: any = await (await fetch(`${url}/cgi-bin/token?grant_type=client_credential&appid=wx0000000000000002&secret=other`)).json();
    expect(other.access_token).toBeDefined();
    const corp: any = await (await fetch(`${url}/cgi-bin/gettoken?corpid=ww0000000000000001&corpsecret=corp-secret`)).json();
    expect(corp.errcode).toBe(0);
    // a 0.25 s grace: the superseded token dies quickly
    await fetch(`${url}/cgi-bin/token?grant_type=client_credential&appid=wx0000000000000001&secret=se:cret`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const stale: any = await (await fetch(`${url}/cgi-bin/getcallbackip?access_token=${token.access_token}`)).json();
    expect(stale.errcode).toBe(40001);
    h.stop();
    expect(await run).toBe(0);
    expect(h.out()).toContain('WeChat simulator stopped');
    expect(h.out() + h.err()).not.toMatch(/se:cret|corp-secret/);
    await expect(fetch(`${url}/__sim/health`)).rejects.toThrow();
  });

  it.each([
    [['--app', 'wx1'], /--app expects APPID:SECRET/],
    [['--app', 'bad id:topsecret'], /--app: bad id "bad id"/],
    [['--app', 'wx1:'], /empty secret/],
    [['--corp', 'nocolon'], /--corp expects CORPID:SECRET/],
    [['--app', 'wx1:a', '--app', 'wx1:b'], /more than once/],
    [['--token-ttl', '-5'], /--token-ttl.*positive number of seconds/],
    [['--token-ttl', '0'], /--token-ttl/],
    [['--grace', 'abc'], /--grace/],
    [['--latency', '-1'], /--latency/],
    [['--listen', 'localhost'], /--listen.*HOST:PORT/],
    [['--listen', '127.0.0.1:70000'], /--listen/],
    [['--listen', '[nope]:80'], /--listen/],
    [['--bogus'], /unknown option/],
  ])('rejects %j with exit code 2 and a clear message', async (args, message) => {
    const h = harness();
    expect(await runCli(['simulate', ...args], h.ctx)).toBe(2);
    expect(h.err()).toMatch(message);
    expect(h.err().split('\n')[0]).toMatch(message);
    expect(h.err()).not.toContain('topsecret');
    expect(h.out()).toBe('');
  });

  it('exits 1 when the port is taken', async () => {
    const first = harness();
    const running = runCli(['simulate', '--listen', '127.0.0.1:0'], first.ctx);
    const url = await waitForUrl(first);
    const second = harness();
    expect(await runCli(['simulate', '--listen', url.replace('http://', '')], second.ctx)).toBe(1);
    expect(second.err()).toMatch(/EADDRINUSE|address already in use/);
    first.stop();
    expect(await running).toBe(0);
  });
});
