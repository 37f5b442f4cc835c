import { describe, expect, it } from 'vitest';
import { upstreamFailingSince } from '../../src/alerts/upstream-health.js';
import type { CredentialState } from '../../src/core/token-service.js';

function cred(lastRefreshAt: number | null, error: { code: string; at: number } | null): CredentialState {
  return {
    key: 'wxa:access_token',
    kind: 'access_token',
    appid: 'wxa',
    state: error ? 'retrying' : 'ok',
    tokenExpiresAt: null,
    lastRefreshAt,
    nextAttemptAt: null,
    lastError: error && { ...error, message: 'm' },
  };
}

describe('upstreamFailingSince', () => {
  const cases: Array<{ name: string; previous: number | null; credentials: CredentialState[]; expected: number | null }> = [
    { name: 'no credentials', previous: null, credentials: [], expected: null },
    { name: 'only successes', previous: null, credentials: [cred(100, null)], expected: null },
    { name: 'a transport failure after the last success', previous: null, credentials: [cred(100, { code: 'upstream_unavailable', at: 200 })], expected: 200 },
    { name: 'the oldest failure after the last success', previous: null, credentials: [cred(100, { code: 'upstream_unavailable', at: 300 }), cred(null, { code: 'upstream_unavailable', at: 200 })], expected: 200 },
    { name: 'a success elsewhere after the failure', previous: null, credentials: [cred(null, { code: 'upstream_unavailable', at: 200 }), cred(250, null)], expected: null },
    { name: 'rejected credentials are not unreachability', previous: null, credentials: [cred(100, { code: 'credentials_rejected', at: 200 })], expected: null },
    { name: 'a running streak keeps its start', previous: 150, credentials: [cred(100, { code: 'upstream_unavailable', at: 400 })], expected: 150 },
    { name: 'a streak ended by a success is forgotten', previous: 150, credentials: [cred(500, null), cred(null, { code: 'upstream_unavailable', at: 600 })], expected: 600 },
    { name: 'healthy again', previous: 150, credentials: [cred(500, null)], expected: null },
  ];
  it.each(cases)('$name', ({ previous, credentials, expected }) => {
    expect(upstreamFailingSince(previous, credentials)).toBe(expected);
  });
});
