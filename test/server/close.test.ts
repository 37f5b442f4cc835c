import { describe, expect, it } from 'vitest';
import { APPID, setup } from './helpers.js';

describe('graceful close', () => {
  it('close() waits for an in-flight request, which completes normally', async () => {
    const h = await setup();
    const base = await h.app.listen({ host: '127.0.0.1', port: 0 });
    const release = h.service.gate();
    const inflight = fetch(`${base}/v1/apps/${APPID}/access-token`, { headers: { authorization: `Bearer ${h.oneKey}` } });
    while (!h.service.calls.some((c) => c.method === 'getAccessToken')) await new Promise((r) => setTimeout(r, 2));

    let closed = false;
    const closing = h.app.close().then(() => {
      closed = true;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(closed).toBe(false);

    release();
    const res = await inflight;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { access_token: string }).access_token).toBe(`fake-${APPID}-1`);
    // The keep-alive connection that carried the request must not hold close() back until its timeout.
    await Promise.race([closing, new Promise((r) => setTimeout(r, 1_000))]);
    expect(closed).toBe(true);
  });
});
