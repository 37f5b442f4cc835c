import { describe, expect, it } from 'vitest';
import { appsFrom, credentialDocuments, failureFrom, invalidationsFrom, parseJson, pendingFrom, stateFrom, stateFromForceLog } from '../../src/stores/records.js';
import type { CredentialRecord } from '../../src/stores/store.js';

const bad = (): Error => new Error('malformed');

describe('stored record pieces', () => {
  it('round-trips a credential failure, kind state and pending refresh through their JSON documents, dropping unset fields', () => {
    const record: CredentialRecord = {
      key: 'wx1:access_token',
      version: 1,
      token: 't',
      expiresAt: 2,
      obtainedAt: 1,
      failure: { code: 'c', message: 'm', category: 'transient', at: 1, attempts: 2, errcode: undefined, retryAt: 5 },
      state: { forceLog: { day: '2026-01-01', count: 1, lastAt: 1 } },
      pending: { owner: 'a', since: 1 },
      invalidations: 2,
    };
    const docs = credentialDocuments(record);
    expect(docs.failure).not.toContain('errcode');
    expect(failureFrom(parseJson(docs.failure!, bad), bad)).toEqual({
      code: 'c',
      message: 'm',
      category: 'transient',
      at: 1,
      attempts: 2,
      retryAt: 5,
    });
    expect(stateFrom(parseJson(docs.state!, bad), bad)).toEqual(record.state);
    expect(pendingFrom(parseJson(docs.pending!, bad), bad)).toEqual(record.pending);
    expect(credentialDocuments({ ...record, failure: null, state: null, pending: null })).toEqual({ failure: null, state: null, pending: null });
    expect([failureFrom(null, bad), stateFrom(undefined, bad), pendingFrom(null, bad), invalidationsFrom(undefined, bad)]).toEqual([null, null, null, 0]);
  });

  it('reads a 0.1.0 force log as the access token kind state', () => {
    const forceLog = { day: '2026-01-01', count: 1, lastAt: 1 };
    expect(stateFromForceLog(forceLog, bad)).toEqual({ forceLog });
    expect(stateFromForceLog(null, bad)).toBeNull();
    expect(() => stateFromForceLog('x', bad)).toThrow('malformed');
  });

  it('reports values that do not fit through the caller', () => {
    expect(() => parseJson('{"token":', bad)).toThrow('malformed');
    expect(() => failureFrom({ code: 'c', message: 'm', category: 'x', at: '1', attempts: 1 }, bad)).toThrow('malformed');
    expect(() => stateFrom([], bad)).toThrow('malformed');
    expect(() => pendingFrom({ owner: 1, since: 2 }, bad)).toThrow('malformed');
    expect(() => invalidationsFrom(-1, bad)).toThrow('malformed');
    expect(() => appsFrom(['wx1', 2], bad)).toThrow('malformed');
    expect(appsFrom(['*'], bad)).toEqual(['*']);
  });
});
