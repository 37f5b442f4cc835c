import { describe, expect, it } from 'vitest';
import { serve } from '../../src/cli/commands/serve.js';
import { testContext } from '../cli/support.js';
import { ADMIN_KEY, APPID, MASTER_KEY, SECRET, startSimulator } from '../support/stack.js';
import { startWebhookReceiver } from '../support/webhook-receiver.js';

/**
 * Alerts of one `serve` (in process, memory store) against the simulator.
 *
 * The quota alert from WeChat's own count: an app whose /cgi-bin/token quota (10 a day in this simulator) is spent
 * by other callers past 80 % is reported once, with the count `openapi/quota/get` gives, and shows in /metrics.
 */
describe('a quota above the threshold', () => {
  it('is reported once, from WeChat\'s own count, and shows in /metrics', async () => {
    const { sim, url: simUrl } = await startSimulator({ apps: [{ appid: APPID, secret: SECRET }], classicDailyQuota: 10 });
    const receiver = await startWebhookReceiver();
    const ctx = testContext({ WXTOKEN_STORE: 'memory:', WXTOKEN_ADMIN_KEY: ADMIN_KEY, WXTOKEN_MASTER_KEY: MASTER_KEY.toString('hex') });
    let hub = '';
    const running = serve(ctx, { listen: '127.0.0.1:0', upstream: simUrl, logLevel: 'warn', alertWebhook: [receiver.url], alertInterval: 0.2 }, (u) => (hub = u));
    try {
      await expect.poll(() => hub, { timeout: 10_000 }).not.toBe('');
      // Someone else calls WeChat's token endpoint with the AppSecret: 8 calls; the hub's first fetch makes 9 of 10.
      for (let i = 0; i < 8; i++) await fetch(`${simUrl}/cgi-bin/token?grant_type=client_credential&appid=${APPID}&secret=${SECRET}`);
      const put = await fetch(`${hub}/v1/apps/${APPID}`, { method: 'PUT', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ secret: SECRET, grant: 'classic' }) });
      expect(put.status).toBe(201);
      await expect.poll(() => receiver.bodies.length, { timeout: 10_000 }).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 1_000));
      expect(receiver.bodies).toEqual([expect.objectContaining({ status: 'firing', kind: 'quota_high', id: `quota_high:${APPID}:/cgi-bin/token` })]);
      expect((receiver.bodies[0] as { summary: string }).summary).toContain('used 9 of 10 /cgi-bin/token calls today (90 %');
      const metrics = await (await fetch(`${hub}/metrics`)).text();
      expect(metrics).toContain(`wxtoken_quota_used{appid="${APPID}",api="/cgi-bin/token"} 9`);
      expect(metrics).toContain('wxtoken_quota_used_ratio_max{api="/cgi-bin/token"} 0.9');
    } finally {
      ctx.stop();
      await running;
      await receiver.close();
      await sim.close();
    }
  });
});

describe('WeChat unreachable', () => {
  it('is reported once it has lasted --alert-upstream-after, and its end once a refresh succeeds', async () => {
    const { sim, url: simUrl } = await startSimulator({ apps: [{ appid: APPID, secret: SECRET }] });
    const receiver = await startWebhookReceiver();
    const ctx = testContext({ WXTOKEN_STORE: 'memory:', WXTOKEN_ADMIN_KEY: ADMIN_KEY, WXTOKEN_MASTER_KEY: MASTER_KEY.toString('hex') });
    let hub = '';
    // 0.02 minutes: 1.2 s.
    const running = serve(ctx, { listen: '127.0.0.1:0', upstream: simUrl, logLevel: 'error', alertWebhook: [receiver.url], alertInterval: 0.2, alertUpstreamAfter: 0.02 }, (u) => (hub = u));
    const fault = (body: object | null): Promise<Response> =>
      fetch(`${simUrl}/__sim/faults`, body ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : { method: 'DELETE' });
    try {
      await expect.poll(() => hub, { timeout: 10_000 }).not.toBe('');
      await fault({ path: '/cgi-bin/token', mode: 'http-502', count: 1000 });
      const startedAt = Date.now();
      await fetch(`${hub}/v1/apps/${APPID}`, { method: 'PUT', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ secret: SECRET, grant: 'classic' }) });
      await expect.poll(() => receiver.bodies.length, { timeout: 10_000 }).toBeGreaterThan(0);
      // A lower bound only (the alert must not come before the threshold); nothing asserts how fast it comes.
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1_200);
      expect(receiver.bodies).toEqual([expect.objectContaining({ status: 'firing', kind: 'upstream_unreachable', subject: 'wechat' })]);
      await fault(null);
      const forced = await fetch(`${hub}/v1/apps/${APPID}/refresh`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
      expect(forced.status).toBe(200);
      await expect.poll(() => receiver.bodies.length, { timeout: 5_000 }).toBeGreaterThan(1);
      await new Promise((r) => setTimeout(r, 1_000));
      expect(receiver.bodies.map((b) => `${(b as { status: string }).status} ${(b as { kind: string }).kind}`)).toEqual(['firing upstream_unreachable', 'resolved upstream_unreachable']);
    } finally {
      ctx.stop();
      await running;
      await receiver.close();
      await sim.close();
    }
  });
});

describe('an Open Platform component without a verify ticket', () => {
  it('is reported once as a stale verify ticket', async () => {
    const { sim, url: simUrl } = await startSimulator({ apps: [{ appid: APPID, secret: SECRET }] });
    const receiver = await startWebhookReceiver();
    const ctx = testContext({ WXTOKEN_STORE: 'memory:', WXTOKEN_ADMIN_KEY: ADMIN_KEY, WXTOKEN_MASTER_KEY: MASTER_KEY.toString('hex') });
    let hub = '';
    const running = serve(ctx, { listen: '127.0.0.1:0', upstream: simUrl, logLevel: 'error', alertWebhook: [receiver.url], alertInterval: 0.2 }, (u) => (hub = u));
    const component = 'wx00000000000000cc';
    try {
      await expect.poll(() => hub, { timeout: 10_000 }).not.toBe('');
      // A 43-character EncodingAESKey, as WeChat's console issues them.
      const body = { secret: 'component-secret-0123456789abcdef', message_token: 'pushtoken123', aes_key: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' };
      const put = await fetch(`${hub}/v1/components/${component}`, { method: 'PUT', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(put.status).toBe(201);
      // No push has ever come: the sender reads the components' tickets before it judges, and says so once.
      await expect.poll(() => receiver.bodies.length, { timeout: 10_000 }).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 1_000));
      expect(receiver.bodies).toEqual([expect.objectContaining({ status: 'firing', kind: 'verify_ticket_stale', id: `verify_ticket_stale:${component}` })]);
    } finally {
      ctx.stop();
      await running;
      await receiver.close();
      await sim.close();
    }
  });
});
