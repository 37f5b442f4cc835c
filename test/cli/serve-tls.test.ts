import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve } from '../../src/cli/commands/serve.js';
import { tempDir } from '../support/stack.js';
import { httpRequest, rawRequest } from '../support/raw-http.js';
import { testContext, wxtoken } from './support.js';

const ADMIN_KEY = 'admin-key-3f9c1e7a5b2d8c4f6a0e9b1d';
let dir: string;
let cleanup: () => Promise<void>;
let certFile: string;
let keyFile: string;
let otherKeyFile: string;

/** A self-signed certificate for 127.0.0.1, made here: no network, nothing checked in. */
function selfSigned(name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert,
  ], { stdio: 'ignore' });
  return { cert, key };
}

/** GET over HTTPS trusting only `ca`; resolves with status and body. */
function httpsGet(url: string, ca: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  ({ cert: certFile, key: keyFile } = selfSigned('hub'));
  otherKeyFile = selfSigned('other').key;
});
afterAll(async () => cleanup());

describe('serve --tls-cert/--tls-key and --metrics-key', () => {
  it('serves HTTPS with the given certificate, with the usual limits and a protected /metrics', async () => {
    const ctx = testContext({ WXTOKEN_STORE: 'memory:', WXTOKEN_ADMIN_KEY: ADMIN_KEY });
    let url = '';
    const running = serve(ctx, { listen: '127.0.0.1:0', logLevel: 'silent', tlsCert: certFile, tlsKey: keyFile, metricsKey: 'admin' }, (u) => (url = u));
    try {
      await expect.poll(() => url, { timeout: 10_000 }).not.toBe('');
      expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const ca = await readFile(certFile);
      expect(await httpsGet(`${url}/healthz`, ca)).toEqual({ status: 200, body: '{"status":"ok"}' });
      expect((await httpsGet(`${url}/metrics`, ca)).status).toBe(401);
      expect((await httpsGet(`${url}/metrics`, ca, { authorization: `Bearer ${ADMIN_KEY}` })).status).toBe(200);
      const port = Number(new URL(url).port);
      const absolute = await rawRequest(port, httpRequest('GET', 'http://evil.example/cgi-bin/x'), { tls: true });
      expect(absolute.status).toBe(400);
      // Plain HTTP on the TLS port gets nowhere.
      const plain = await rawRequest(port, httpRequest('GET', '/healthz'), { timeoutMs: 3_000 });
      expect(plain.status === 0 || plain.status === 400).toBe(true);
    } finally {
      ctx.stop();
      await running;
    }
  });

  it.each<[string, string[], NodeJS.ProcessEnv, RegExp]>([
    ['a certificate without its key', ['--tls-cert', 'CERT'], {}, /--tls-cert and --tls-key go together/],
    ['a missing certificate file', ['--tls-cert', 'MISSING', '--tls-key', 'KEY'], {}, /cannot read --tls-cert .*\(ENOENT\)/],
    ['a key that does not match the certificate', ['--tls-cert', 'CERT', '--tls-key', 'OTHERKEY'], {}, /not a usable certificate and key/],
    ['a metrics key given as a plain argument', ['--metrics-key', 'hunter2-hunter2-hunter2'], {}, /--metrics-key takes "admin" or "env:VAR"/],
    ['--metrics-key admin without an admin key', ['--metrics-key', 'admin'], {}, /needs WXTOKEN_ADMIN_KEY/],
    ['a guessable metrics key', ['--metrics-key', 'env:MK'], { MK: 'metrics' }, /^wxtoken: MK does not look like a random key/],
    ['a guessable WXTOKEN_METRICS_KEY', [], { WXTOKEN_METRICS_KEY: 'metricsmetricsmetricsmetrics' }, /^wxtoken: WXTOKEN_METRICS_KEY does not look like a random key/],
  ])('refuses %s before opening anything', async (_what, args, env, message) => {
    const db = join(dir, `tls-${Math.random().toString(36).slice(2)}.db`);
    const files: Record<string, string> = { CERT: certFile, KEY: keyFile, OTHERKEY: otherKeyFile, MISSING: join(dir, 'missing.crt') };
    const res = await wxtoken(['serve', '--listen', '127.0.0.1:0', '--store', `sqlite:${db}`, ...args.map((a) => files[a] ?? a)], env);
    expect(res.code, res.stderr).toBe(2);
    expect(res.stderr).toMatch(message);
    expect(res.stderr).not.toContain('hunter2');
    expect(existsSync(db)).toBe(false);
  });
});
