import { describe, expect, it } from 'vitest';
import { ConfigError, StoreUnavailableError } from '../../src/errors/index.js';
import { OutageReport, reconnectDelayMs, safeCause, storeUnavailable } from '../../src/stores/outage.js';

describe('safeCause', () => {
  it('keeps name, message and code, and drops whatever else the backend attached', () => {
    const error = Object.assign(new TypeError('boom'), { code: 'ECONNRESET', command: { args: ['AUTH', 'hunter2'] } });
    const copy = safeCause(error);
    expect([copy.name, copy.message, (copy as Error & { code?: string }).code]).toEqual(['TypeError', 'boom', 'ECONNRESET']);
    expect(JSON.stringify(copy)).not.toContain('hunter2');
  });
});

describe('storeUnavailable', () => {
  it('wraps foreign errors with a cleaned cause and passes wxtoken errors through', () => {
    const wrapped = storeUnavailable('Redis store x: ping failed', Object.assign(new Error('down'), { detail: 'secret row' }));
    expect(wrapped).toBeInstanceOf(StoreUnavailableError);
    expect(wrapped.message).toBe('Redis store x: ping failed: down');
    expect(JSON.stringify((wrapped as Error).cause)).not.toContain('secret row');
    const config = new ConfigError('bad');
    expect(storeUnavailable('ctx', config)).toBe(config);
  });
});

describe('OutageReport', () => {
  it('logs once when an outage starts and once when it ends, and rejects with StoreUnavailableError', async () => {
    const warnings: string[] = [];
    const report = new OutageReport('Redis', 'redis://h:1/0', { warn: (_obj, msg) => warnings.push(msg) });
    for (let i = 0; i < 3; i++) {
      await expect(report.call('ping', () => Promise.reject(new Error('refused')))).rejects.toThrow(
        'Redis store redis://h:1/0: ping failed: refused',
      );
    }
    expect(warnings).toEqual([expect.stringMatching(/^Redis store unreachable/)]);
    expect(await report.call('ping', async () => 'PONG')).toBe('PONG');
    expect(await report.call('ping', async () => 'PONG')).toBe('PONG');
    expect(warnings).toEqual([expect.stringMatching(/unreachable/), 'Redis store reachable again']);
  });
});

describe('reconnectDelayMs', () => {
  it('doubles from 50 ms up to the cap', () => {
    expect([0, 1, 2, 3, 10, 100].map((a) => reconnectDelayMs(a, 2_000))).toEqual([50, 100, 200, 400, 2_000, 2_000]);
  });
});

describe('answeredByBackend', () => {
  it('tells a backend that rejected a call from one that could not be reached', async () => {
    const { answeredByBackend } = await import('../../src/stores/outage.js');
    expect(answeredByBackend(Object.assign(new Error('invalid input syntax for type bigint'), { severity: 'ERROR', code: '22P02' }))).toBe(true);
    expect(answeredByBackend(Object.assign(new Error('terminating connection'), { severity: 'FATAL', code: '57P01' }))).toBe(false);
    expect(answeredByBackend(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(false);
    expect(answeredByBackend(Object.assign(new Error('ERR wrong number of arguments'), { name: 'ReplyError' }))).toBe(true);
    expect(answeredByBackend(Object.assign(new Error('LOADING Redis is loading'), { name: 'ReplyError' }))).toBe(false);
  });
});
