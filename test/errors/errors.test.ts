import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CredentialsRejectedError, ERROR_CODES, QuotaExhaustedError, UpstreamTransportError, WxTokenError } from '../../src/errors/index.js';
import { wechatError } from '../../src/wechat/errcodes.js';
import { sanitizeError } from '../../src/wechat/redact.js';

describe('error hierarchy', () => {
  it('gives WeChat errors their errcode, rid and endpoint-aware category', () => {
    const onToken = wechatError(40001, 'invalid credential, access_token is invalid or not latest rid: 6004f3da-1529ba72-5c345f67', '/cgi-bin/token', 'token');
    expect(onToken).toBeInstanceOf(WxTokenError);
    expect(onToken).toMatchObject({ code: 'wechat_error', errcode: 40001, rid: '6004f3da-1529ba72-5c345f67', category: 'bad-credentials', retryable: false });
    const onBusiness = wechatError(40001, 'invalid credential', '/cgi-bin/menu/get', 'business');
    expect(onBusiness.category).toBe('token-invalid');
    expect(onBusiness.rid).toBeUndefined();
    expect(wechatError(-1, 'system error, rid: 5f422231-52120df7-13fcb545', '/cgi-bin/token', 'token')).toMatchObject({ category: 'transient', retryable: true, rid: '5f422231-52120df7-13fcb545' });
  });

  it('serialises to code and message only, never the cause', () => {
    // The WeChat client wraps every underlying failure with sanitizeError before it becomes a cause.
    const cause = sanitizeError(new Error('connect ECONNRESET https://api.weixin.qq.com/cgi-bin/token?secret=TOPSECRET'), ['TOPSECRET']);
    const err = new UpstreamTransportError('network', '/cgi-bin/token', 'connection reset', { cause });
    expect(JSON.stringify(err)).toBe(JSON.stringify({ code: 'upstream_transport', message: 'WeChat /cgi-bin/token failed (network): connection reset' }));
    expect(err.retryable).toBe(true);
    // The cause is kept for logs; printing the error (as a logger or a crash would) prints it, but not the secret.
    expect(inspect(err)).toContain('ECONNRESET');
    expect(inspect(err)).not.toContain('TOPSECRET');
    expect(inspect(new CredentialsRejectedError('rejected', { cause: err }))).not.toContain('TOPSECRET');
  });

  it('carries Retry-After hints and exports every code once', () => {
    expect(new QuotaExhaustedError('quota', { retryAfterSeconds: 60 })).toMatchObject({ status: 503, retryAfterSeconds: 60, code: 'quota_exhausted' });
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
  });
});
