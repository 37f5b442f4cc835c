import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/util/clock.js';
import { ConfigError } from '../../src/errors/index.js';
import {
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_PASSTHROUGH_BODY_LIMIT_BYTES,
  DEFAULT_PASSTHROUGH_PREFIXES,
  DEFAULT_REPLAY_BODY_LIMIT_BYTES,
  DEFAULT_TOKEN_CHECK_INTERVAL_MS,
  DEFAULT_UPSTREAM_BASE_URL,
  DEFAULT_UPSTREAM_TIMEOUT_MS,
  resolveServerOptions,
  type ServerOptions,
} from '../../src/server/index.js';
import { FakeTokenService } from './fake-token-service.js';

const service = new FakeTokenService(new ManualClock());

describe('resolveServerOptions', () => {
  it('applies the documented defaults', () => {
    const r = resolveServerOptions({ service });
    expect(r).toMatchObject({
      adminKey: undefined,
      upstreamBaseUrl: DEFAULT_UPSTREAM_BASE_URL,
      passthroughPrefixes: DEFAULT_PASSTHROUGH_PREFIXES,
      upstreamTimeoutMs: DEFAULT_UPSTREAM_TIMEOUT_MS,
      logger: false,
      logRequests: false,
      bodyLimitBytes: DEFAULT_BODY_LIMIT_BYTES,
      metrics: true,
      passthroughBodyLimitBytes: DEFAULT_PASSTHROUGH_BODY_LIMIT_BYTES,
      replayBodyLimitBytes: DEFAULT_REPLAY_BODY_LIMIT_BYTES,
      tokenCheckIntervalMs: DEFAULT_TOKEN_CHECK_INTERVAL_MS,
    });
    expect(DEFAULT_BODY_LIMIT_BYTES).toBe(16 * 1024);
    expect(DEFAULT_PASSTHROUGH_BODY_LIMIT_BYTES).toBe(64 * 1024 * 1024);
    expect(DEFAULT_REPLAY_BODY_LIMIT_BYTES).toBe(1024 * 1024);
    expect(DEFAULT_TOKEN_CHECK_INTERVAL_MS).toBe(10_000);
    expect(DEFAULT_UPSTREAM_BASE_URL).toBe('https://api.weixin.qq.com');
  });

  it.each<[Partial<ServerOptions>, RegExp]>([
    [{ adminKey: 'short' }, /"adminKey"/],
    [{ upstreamBaseUrl: 'not a url' }, /"upstreamBaseUrl".*not a url/],
    [{ upstreamBaseUrl: 'ftp://x' }, /"upstreamBaseUrl"/],
    [{ upstreamBaseUrl: 'https://x/?q=1' }, /"upstreamBaseUrl"/],
    [{ passthroughPrefixes: ['cgi-bin/'] }, /"passthroughPrefixes".*cgi-bin/],
    [{ passthroughPrefixes: ['/cgi-bin'] }, /"passthroughPrefixes"/],
    [{ passthroughPrefixes: ['/v1/x/'] }, /"passthroughPrefixes"/],
    [{ upstreamTimeoutMs: 0 }, /"upstreamTimeoutMs".*0/],
    [{ upstreamTimeoutMs: Number.NaN }, /"upstreamTimeoutMs"/],
    [{ bodyLimitBytes: 10 }, /"bodyLimitBytes".*10/],
    [{ bodyLimitBytes: 2048.5 }, /"bodyLimitBytes"/],
    [{ fetch: 'nope' as never }, /"fetch"/],
    [{ passthroughBodyLimitBytes: 1000 }, /"passthroughBodyLimitBytes".*1000/],
    [{ replayBodyLimitBytes: -1 }, /"replayBodyLimitBytes".*-1/],
    [{ passthroughBodyLimitBytes: 4096, replayBodyLimitBytes: 4097 }, /"replayBodyLimitBytes".*4097/],
    [{ tokenCheckIntervalMs: -5 }, /"tokenCheckIntervalMs".*-5/],
  ])('rejects %o', (bad, message) => {
    expect(() => resolveServerOptions({ service, ...bad })).toThrow(ConfigError);
    expect(() => resolveServerOptions({ service, ...bad })).toThrow(message);
  });

  it('keeps the replay limit within a smaller passthrough body limit by default', () => {
    expect(resolveServerOptions({ service, passthroughBodyLimitBytes: 4096 }).replayBodyLimitBytes).toBe(4096);
  });

  it('requires a service', () => {
    expect(() => resolveServerOptions({} as ServerOptions)).toThrow(/"service"/);
  });

  it('strips a trailing slash from the upstream URL', () => {
    expect(resolveServerOptions({ service, upstreamBaseUrl: 'http://127.0.0.1:1234/' }).upstreamBaseUrl).toBe('http://127.0.0.1:1234');
  });
});
