import { describe, expect, it } from 'vitest';
import { UpstreamTransportError } from '../../src/errors/index.js';
import { getAccessToken } from '../../src/wechat/index.js';
import { ENDPOINTS, rejectionOf, SECRET } from './endpoints.js';
import { BROKEN } from './failure-modes.js';
import { connectionReset, fakeFetch, jsonResponse, untilAborted } from './fake-fetch.js';

describe('transport failures become UpstreamTransportError', () => {
  describe.each(ENDPOINTS)('$name', ({ call, path }) => {
    it.each(BROKEN)('%s → %s', async (_what, respond, failure, httpStatus) => {
      const fake = fakeFetch(respond);
      const err = await rejectionOf(call({ fetch: fake.fetch }));
      expect(err).toBeInstanceOf(UpstreamTransportError);
      const e = err as UpstreamTransportError;
      expect(e).toMatchObject({ failure, endpoint: path, httpStatus, category: 'transient', retryable: true, code: 'upstream_transport' });
      expect(e.message).toContain(path);
    });

    it('times out a fetch that waits for its abort signal', async () => {
      const fake = fakeFetch(untilAborted);
      const started = performance.now();
      const err = await rejectionOf(call({ fetch: fake.fetch, timeoutMs: 30 }));
      expect(err).toMatchObject({ failure: 'timeout', endpoint: path, retryable: true });
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(fake.calls[0]?.signal?.aborted).toBe(true);
    });

    it('reports a caller abort as aborted (not retryable)', async () => {
      const controller = new AbortController();
      const fake = fakeFetch((request) => {
        setTimeout(() => controller.abort(new Error(`caller gave up ${SECRET}`)), 5);
        return untilAborted(request);
      });
      const err = await rejectionOf(call({ fetch: fake.fetch, signal: controller.signal, timeoutMs: 5_000 }));
      expect(err).toMatchObject({ failure: 'aborted', endpoint: path, retryable: false });
    });
  });

  it('times out even a fetch that ignores its signal', async () => {
    const fake = fakeFetch(() => new Promise<Response>(() => undefined));
    const err = await rejectionOf(getAccessToken({ appid: 'wxapp1', secret: SECRET, fetch: fake.fetch, timeoutMs: 30 }));
    expect(err).toMatchObject({ failure: 'timeout' });
  });

  it('times out a body that starts but never finishes', async () => {
    const fake = fakeFetch(() => {
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"access_token":"T'));
        },
      });
      return new Response(stream, { status: 200, headers: { 'content-type': 'application/json' } });
    });
    const err = await rejectionOf(getAccessToken({ appid: 'wxapp1', secret: SECRET, fetch: fake.fetch, timeoutMs: 30 }));
    expect(err).toMatchObject({ failure: 'timeout' });
  });

  it('does not call fetch at all when the signal is already aborted', async () => {
    const fake = fakeFetch(() => jsonResponse({ access_token: 'T', expires_in: 7200 }));
    const err = await rejectionOf(getAccessToken({ appid: 'wxapp1', secret: SECRET, fetch: fake.fetch, signal: AbortSignal.abort() }));
    expect(err).toMatchObject({ failure: 'aborted' });
    expect(fake.calls).toHaveLength(0);
  });

  it('keeps the network error code in the message and a sanitised cause chain', async () => {
    const fake = fakeFetch(connectionReset);
    const err = (await rejectionOf(getAccessToken({ appid: 'wxapp1', secret: SECRET, fetch: fake.fetch }))) as UpstreamTransportError;
    expect(err.message).toBe('WeChat /cgi-bin/token failed (network): the request failed (ECONNRESET)');
    const cause = err.cause as Error & { cause?: Error & { code?: string; syscall?: string } };
    expect(cause).toBeInstanceOf(Error);
    expect(cause.name).toBe('TypeError');
    expect(cause.message).toBe('fetch failed for https://api.weixin.qq.com/cgi-bin/token body=');
    expect(cause.cause).toMatchObject({ code: 'ECONNRESET', syscall: 'read', message: 'read ECONNRESET while requesting https://api.weixin.qq.com/cgi-bin/token' });
    expect(cause.cause).not.toHaveProperty('url');
  });

  it('leaves no timer or listener behind after a success', async () => {
    const controller = new AbortController();
    let listeners = 0;
    const signal = controller.signal;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = ((...args: Parameters<typeof add>) => {
      listeners += 1;
      add(...args);
    }) as typeof signal.addEventListener;
    signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
      listeners -= 1;
      remove(...args);
    }) as typeof signal.removeEventListener;
    const fake = fakeFetch(() => jsonResponse({ access_token: 'T', expires_in: 7200 }));
    await getAccessToken({ appid: 'wxapp1', secret: SECRET, fetch: fake.fetch, signal, timeoutMs: 20 });
    expect(listeners).toBe(0);
    // A timer left running would abort the finished request's signal.
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(fake.calls[0]?.signal?.aborted).toBe(false);
  });
});
