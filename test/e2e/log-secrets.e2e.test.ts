import { describe, expect, it } from 'vitest';
import { serve } from '../../src/cli/commands/serve.js';
import { testContext } from '../cli/support.js';
import { ADMIN_KEY, APPID, MASTER_KEY, SECRET, startSimulator } from '../support/stack.js';
import { startWebhookReceiver } from '../support/webhook-receiver.js';

/**
 * Every log line of an end-to-end run, in both formats, searched for every secret the run handled: the AppSecret,
 * the admin and client keys, the master key, a WeCom robot's key, and every token, ticket and signature issued.
 * The run does everything that logs: app changes, token and ticket reads, reports, forced refreshes, WeChat
 * refusing the credentials (a failed credential and an alert), bad keys, a secret in a compat query, a failed
 * passthrough and a failing alert webhook.
 */
/** Adds every string of `view` longer than 20 characters (tokens and tickets; not appids or dates) to `into`. */
function collectValues(view: unknown, into: Set<string>): void {
  if (typeof view === 'string' && view.length > 20 && !/^\d{4}-\d\d-\d\dT/.test(view)) into.add(view);
  else if (view !== null && typeof view === 'object') for (const v of Object.values(view)) collectValues(v, into);
}

describe.each(['json', 'pretty'] as const)('every %s log line of an end-to-end run', (format) => {
  it('is free of secrets, tokens, tickets and keys', async () => {
    const { sim, url: simUrl } = await startSimulator({ apps: [{ appid: APPID, secret: SECRET }] });
    const receiver = await startWebhookReceiver();
    const robotKey = 'ROBOTKEY-6f1c2a9e4b7d';
    const ctx = testContext({ WXTOKEN_STORE: 'memory:', WXTOKEN_ADMIN_KEY: ADMIN_KEY, WXTOKEN_MASTER_KEY: MASTER_KEY.toString('hex') });
    let hub = '';
    const running = serve(
      ctx,
      {
        listen: '127.0.0.1:0',
        upstream: simUrl,
        logLevel: 'trace',
        logFormat: format,
        // The robot answers 200 with no errcode (the receiver): fine. The second one refuses connections: logged.
        alertWebhook: [`wecom+${receiver.url}?key=${robotKey}`, `slack+http://127.0.0.1:1/services/${robotKey}`],
        alertInterval: 0.2,
      },
      (u) => (hub = u),
    );
    const seen = new Set<string>([SECRET, ADMIN_KEY, MASTER_KEY.toString('hex'), robotKey]);
    const json = async (path: string, init: RequestInit & { key?: string } = {}): Promise<Record<string, unknown>> => {
      const headers: Record<string, string> = { ...(init.body ? { 'content-type': 'application/json' } : {}), ...(init.key ? { authorization: `Bearer ${init.key}` } : {}) };
      const res = await fetch(`${hub}${path}`, { ...init, headers });
      const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
      for (const field of ['access_token', 'ticket', 'key', 'signature']) if (typeof body[field] === 'string') seen.add(body[field]);
      return body;
    };
    try {
      await expect.poll(() => hub, { timeout: 10_000 }).not.toBe('');
      await json(`/v1/apps/${APPID}`, { method: 'PUT', key: ADMIN_KEY, body: JSON.stringify({ secret: SECRET, grant: 'classic' }) });
      const { key } = (await json('/v1/keys', { method: 'POST', key: ADMIN_KEY, body: JSON.stringify({ name: 'logs', apps: [APPID] }) })) as { key: string };
      const { access_token: token } = (await json(`/v1/apps/${APPID}/access-token`, { key })) as { access_token: string };
      await json(`/v1/apps/${APPID}/tickets/jsapi`, { key });
      await json(`/v1/apps/${APPID}/tickets/wx_card`, { key });
      await json(`/v1/apps/${APPID}/jssdk-config`, { method: 'POST', key, body: JSON.stringify({ url: 'https://example.com/page?code=PAGECODE' }) });
      await json(`/v1/apps/${APPID}/access-token/invalidate`, { method: 'POST', key, body: JSON.stringify({ access_token: token }) });
      await json(`/v1/apps/${APPID}/access-token/invalidate`, { method: 'POST', key, body: JSON.stringify({ access_token: 'STALE-TOKEN-VALUE' }) });
      await json(`/v1/apps/${APPID}/refresh`, { method: 'POST', key: ADMIN_KEY });
      await json(`/cgi-bin/token?grant_type=client_credential&appid=${APPID}&secret=${key}`);
      await json(`/cgi-bin/token?grant_type=client_credential&appid=${APPID}&secret=WRONG-SECRET-VALUE`);
      await json(`/v1/apps/${APPID}/access-token`, { key: 'wxt_NOT-A-REAL-KEY-0123456789' });
      await json(`/cgi-bin/menu/get?access_token=${token}`);
      // WeChat refuses the credentials: a forced refresh fails, the credential is failed, the alerter reports it.
      await fetch(`${simUrl}/__sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: '/cgi-bin/token', mode: 'errcode', errcode: 40125, count: 100 }) });
      await json(`/v1/apps/${APPID}/refresh`, { method: 'POST', key: ADMIN_KEY });
      await expect.poll(() => receiver.bodies.length, { timeout: 10_000 }).toBeGreaterThan(0);
      await expect.poll(() => ctx.err(), { timeout: 15_000 }).toContain('alert webhook failed');
      // Every token and ticket WeChat (the simulator) issued, current and previous.
      collectValues(await (await fetch(`${simUrl}/__sim/apps/${APPID}/tokens`)).json(), seen);
    } finally {
      ctx.stop();
      await running;
      await receiver.close();
      await sim.close();
    }
    const log = ctx.err();
    const lines = log.split('\n').filter((l) => l.trim().length > 0);
    expect(lines.length).toBeGreaterThan(10);
    if (format === 'json') for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    else expect(lines.some((l) => l.startsWith('{'))).toBe(false);
    expect(log).toContain('refresh failed; credential marked failed');
    expect(seen.size).toBeGreaterThan(8);
    for (const secret of [...seen, 'WRONG-SECRET-VALUE', 'wxt_NOT-A-REAL-KEY-0123456789', 'PAGECODE', 'STALE-TOKEN-VALUE']) {
      const hit = lines.find((l) => l.includes(secret));
      expect(hit, `a log line holds ${secret.slice(0, 6)}…`).toBeUndefined();
    }
  }, 40_000);
});
