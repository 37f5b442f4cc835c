import { describe, expect, it } from 'vitest';
import {
  LoginCodeInvalidError,
  LoginCodeUsedError,
  LoginRateLimitedError,
  LoginRefusedError,
  LoginUserBlockedError,
  UpstreamTransportError,
  WeChatError,
} from '../../src/errors/index.js';
import { classifyErrcode } from '../../src/wechat/errcodes.js';
import { loginFailure, parseCode2Session, parseOAuthGrant } from '../../src/wechat/login.js';

const RID = 'rid: 617682e0-1529ba72-5c345f67';

describe('login answers', () => {
  it('maps a jscode2session success to a session, with the unionid only when sent', () => {
    expect(parseCode2Session({ session_key: 'k==', openid: 'o1' })).toEqual({ openid: 'o1', sessionKey: 'k==' });
    expect(parseCode2Session({ session_key: 'k==', openid: 'o1', unionid: 'u1', errcode: 0, errmsg: 'ok' })).toEqual({ openid: 'o1', sessionKey: 'k==', unionid: 'u1' });
  });

  it('maps an OAuth exchange to a grant', () => {
    expect(parseOAuthGrant({ access_token: 'AT', expires_in: 7200, refresh_token: 'RT', openid: 'o1', scope: 'snsapi_base' })).toEqual({
      openid: 'o1',
      accessToken: 'AT',
      expiresIn: 7200,
      refreshToken: 'RT',
      scope: 'snsapi_base',
    });
  });

  it.each([
    [40029, LoginCodeInvalidError, 'login_code_invalid', false],
    [40163, LoginCodeUsedError, 'login_code_used', false],
    [45011, LoginRateLimitedError, 'login_rate_limited', true],
    [40226, LoginUserBlockedError, 'login_user_blocked', false],
  ] as const)('errcode %i is a typed %s', (errcode, type, code, retryable) => {
    const err = loginFailure(errcode, `refused ${RID}`, '/sns/jscode2session');
    expect(err).toBeInstanceOf(type);
    expect(err).toBeInstanceOf(LoginRefusedError);
    expect(err).toMatchObject({ code, errcode, retryable, rid: '617682e0-1529ba72-5c345f67', endpoint: '/sns/jscode2session' });
    expect(() => parseCode2Session({ errcode, errmsg: `refused ${RID}` })).toThrow(type);
  });

  it('classifies the login refusals in the one errcode table', () => {
    for (const errcode of [40029, 40163, 40226]) expect(classifyErrcode(errcode, 'business')).toBe('login-refused');
    expect(classifyErrcode(45011, 'business')).toBe('quota');
  });

  it('any other errcode is a WeChatError classified by the table; a body without the fields is a bad body naming the field only', () => {
    const wrongSecret = loginFailure(40125, 'invalid appsecret', '/sns/jscode2session');
    expect(wrongSecret).toBeInstanceOf(WeChatError);
    expect(wrongSecret).toMatchObject({ category: 'bad-credentials' });
    const bad = (() => {
      try {
        parseCode2Session({ openid: 'o1', session_key: 42 });
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(bad).toBeInstanceOf(UpstreamTransportError);
    expect((bad as Error).message).toMatch(/session_key/);
    expect(() => parseOAuthGrant({ access_token: 'AT', refresh_token: 'RT', openid: 'o1' })).toThrow(/expires_in/);
    expect(() => parseCode2Session('not json')).toThrow(UpstreamTransportError);
  });
});
