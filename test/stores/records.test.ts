import { describe, expect, it } from 'vitest';
import { appsFrom, credentialDocuments, failureFrom, forceLogFrom, parseJson } from '../../src/stores/records.js';
import type { CredentialRecord } from '../../src/stores/store.js';

const bad = (): Error => new Error('malformed');

describe('stored record pieces', () => {
  it('round-trips a credential failure and force log through their JSON documents, dropping unset fields', () => {
    const record: CredentialRecord = {
      key: 'wx1:access_token',
      version: 1,
      token: 't',
      expiresAt: 2,
      obtainedAt: 1,
      failure: { code: 'c', message: 'm', category: 'transient', at: 1, attempts: 2, errcode: undefined, retryAt: 5 },
      forceLog: { day: '2026-01-01', count: 1, lastAt: 1 },
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
    expect(forceLogFrom(parseJson(docs.forceLog!, bad), bad)).toEqual(record.forceLog);
    expect(credentialDocuments({ ...record, failure: null, forceLog: null })).toEqual({ failure: null, forceLog: null });
    expect([failureFrom(null, bad), forceLogFrom(undefined, bad)]).toEqual([null, null]);
  });

  it('reports values that do not fit through the caller', () => {
    expect(() => parseJson('{"token":', bad)).toThrow('malformed');
    expect(() => failureFrom({ code: 'c', message: 'm', category: 'x', at: '1', attempts: 1 }, bad)).toThrow('malformed');
    expect(() => forceLogFrom([], bad)).toThrow('malformed');
    expect(() => appsFrom(['wx1', 2], bad)).toThrow('malformed');
    expect(appsFrom(['*'], bad)).toEqual(['*']);
  });
});
