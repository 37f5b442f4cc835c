import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/util/clock.js';
import { ConfigError } from '../../src/errors/index.js';
import {
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_PASSTHROUGH_PREFIXES,
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
    });
    expect(DEFAULT_BODY_LIMIT_BYTES).toBe(16 * 1024);
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
  ])('rejects %o', (bad, message) => {
    expect(() => resolveServerOptions({ service, ...bad })).toThrow(ConfigError);
    expect(() => resolveServerOptions({ service, ...bad })).toThrow(message);
  });

  it('requires a service', () => {
    expect(() => resolveServerOptions({} as ServerOptions)).toThrow(/"service"/);
  });

  it('strips a trailing slash from the upstream URL', () => {
    expect(resolveServerOptions({ service, upstreamBaseUrl: 'http://127.0.0.1:1234/' }).upstreamBaseUrl).toBe('http://127.0.0.1:1234');
  });
});
