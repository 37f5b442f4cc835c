import { describe, expect, it } from 'vitest';
import { openIncidents, type Observation } from '../../src/alerts/conditions.js';
import type { CredentialState } from '../../src/core/token-service.js';

const NOW = Date.UTC(2026, 5, 1, 12);
const T = { quotaThreshold: 0.8, upstreamUnreachableMs: 5 * 60_000, verifyTicketStaleMs: 30 * 60_000 };

function cred(key: string, state: CredentialState['state'], lastError: CredentialState['lastError'] = null): CredentialState {
  return { key, kind: key.split(':')[1]!, appid: key.split(':')[0]!, state, tokenExpiresAt: null, lastRefreshAt: null, nextAttemptAt: null, lastError };
}
function obs(partial: Partial<Observation>): Observation {
  return { now: NOW, credentials: [], quota: [], verifyTickets: [], upstreamFailingSince: null, ...partial };
}

describe('openIncidents', () => {
  const rejected = { code: 'credentials_rejected', message: 'x', errcode: 40125, at: NOW - 1 };
  const cases: Array<{ name: string; observation: Observation; ids: string[] }> = [
    { name: 'nothing wrong', observation: obs({ credentials: [cred('wxa:access_token', 'ok')] }), ids: [] },
    { name: 'a failed credential', observation: obs({ credentials: [cred('wxa:access_token', 'failed', rejected)] }), ids: ['credential_failed:wxa:access_token'] },
    { name: 'retrying is not failed', observation: obs({ credentials: [cred('wxa:access_token', 'retrying', rejected)] }), ids: [] },
    { name: 'a failed ticket', observation: obs({ credentials: [cred('wxa:jsapi_ticket', 'failed', rejected)] }), ids: ['credential_failed:wxa:jsapi_ticket'] },
    { name: 'quota at 80 % is not above it', observation: obs({ quota: [{ appid: 'wxa', api: 'stable_token_force', used: 16, limit: 20 }] }), ids: [] },
    { name: 'quota above 80 %', observation: obs({ quota: [{ appid: 'wxa', api: 'stable_token_force', used: 17, limit: 20 }] }), ids: ['quota_high:wxa:stable_token_force'] },
    { name: 'a quota without a limit', observation: obs({ quota: [{ appid: 'wxa', api: 'x', used: 17, limit: 0 }] }), ids: [] },
    { name: 'WeChat failing for under N minutes', observation: obs({ upstreamFailingSince: NOW - 5 * 60_000 + 1 }), ids: [] },
    { name: 'WeChat failing for N minutes', observation: obs({ upstreamFailingSince: NOW - 5 * 60_000 }), ids: ['upstream_unreachable'] },
    { name: 'a fresh verify ticket', observation: obs({ verifyTickets: [{ componentAppid: 'wxc', receivedAt: NOW - 10 * 60_000 }] }), ids: [] },
    { name: 'a stale verify ticket', observation: obs({ verifyTickets: [{ componentAppid: 'wxc', receivedAt: NOW - 31 * 60_000 }] }), ids: ['verify_ticket_stale:wxc'] },
    { name: 'no verify ticket ever', observation: obs({ verifyTickets: [{ componentAppid: 'wxc', receivedAt: null }] }), ids: ['verify_ticket_stale:wxc'] },
  ];
  it.each(cases)('$name', ({ observation, ids }) => {
    expect(openIncidents(observation, T).map((i) => i.id)).toEqual(ids);
  });

  it('says why a credential failed without any value', () => {
    const [incident] = openIncidents(obs({ credentials: [cred('wxa:access_token', 'failed', rejected)] }), T);
    expect(incident!.summary).toContain('credentials_rejected (errcode 40125)');
  });
});
