import { createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { serve } from '../../src/cli/commands/serve.js';
import { testContext } from './support.js';

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// Finding 5 of issue 13: `serve` ran its HTTP server without a logger, so failed passthrough calls left no trace.
describe('serve logs server-side failures (issue 13, finding 5)', () => {
  it('logs a failed passthrough call (a 502) with its path and never its query', async () => {
    const upstream = `http://127.0.0.1:${await closedPort()}`;
    const ctx = testContext({ WXTOKEN_STORE: 'memory:' });
    let url = '';
    const running = serve(ctx, { listen: '127.0.0.1:0', upstream, logLevel: 'info' }, (u) => (url = u));
    try {
      await expect.poll(() => url, { timeout: 10_000 }).not.toBe('');
      const token = 'TOKEN_VALUE_THAT_MUST_NOT_BE_LOGGED';
      const res = await fetch(`${url}/cgi-bin/menu/get?access_token=${token}&secret=SECRET_VALUE&code=CODE_VALUE`);
      expect(res.status).toBe(502);
      await expect.poll(() => ctx.err(), { timeout: 5_000 }).toContain('passthrough to WeChat failed');
      const line = ctx.err().split('\n').find((l) => l.includes('passthrough to WeChat failed'))!;
      expect(JSON.parse(line)).toMatchObject({ level: 40, path: '/cgi-bin/menu/get', why: 'network' });
      for (const secret of [token, 'SECRET_VALUE', 'CODE_VALUE', 'access_token=']) expect(ctx.err()).not.toContain(secret);
    } finally {
      ctx.stop();
      await running;
    }
  });
});
