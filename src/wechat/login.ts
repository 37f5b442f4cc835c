import {
  LoginCodeInvalidError,
  LoginCodeUsedError,
  LoginRateLimitedError,
  LoginUserBlockedError,
  UpstreamTransportError,
  type WxTokenError,
} from '../errors/index.js';
import { wechatError } from './errcodes.js';

/**
 * The user-login endpoint family (the calls that take the AppSecret): wire types, type guards, and the mappers to
 * domain types and typed errors. Session keys and user tokens pass through here and are never logged or kept.
 */

/** Mini Program login. */
export const JSCODE2SESSION_PATH = '/sns/jscode2session';
/** Official Account web sign-in: exchanging the OAuth code. */
export const OAUTH2_ACCESS_TOKEN_PATH = '/sns/oauth2/access_token';

/** A Mini Program user's session, as code2Session returns it. */
export interface MiniProgramSession {
  readonly openid: string;
  /** The key of the user's encrypted data (wx.getUserInfo, phone number…); keep it server-side. */
  readonly sessionKey: string;
  /** Present when the app is bound to an Open Platform account. */
  readonly unionid?: string;
}

/** A web sign-in, as the OAuth code exchange returns it. */
export interface OAuthGrant {
  readonly openid: string;
  /** The user access token (for /sns/userinfo), not the app's access token. */
  readonly accessToken: string;
  readonly expiresIn: number;
  readonly refreshToken: string;
  readonly scope: string;
  readonly unionid?: string;
}

type Wire = Readonly<Record<string, unknown>>;

/** Maps a jscode2session answer (parsed JSON) to a session, or throws the typed error its errcode means. */
export function parseCode2Session(body: unknown): MiniProgramSession {
  const wire = successBody(body, JSCODE2SESSION_PATH);
  const openid = stringField(wire, 'openid', JSCODE2SESSION_PATH);
  const sessionKey = stringField(wire, 'session_key', JSCODE2SESSION_PATH);
  const unionid = optionalString(wire, 'unionid');
  return { openid, sessionKey, ...(unionid !== undefined && { unionid }) };
}

/** Maps an oauth2/access_token answer to a grant, or throws the typed error its errcode means. */
export function parseOAuthGrant(body: unknown): OAuthGrant {
  const path = OAUTH2_ACCESS_TOKEN_PATH;
  const wire = successBody(body, path);
  const expiresIn = wire['expires_in'];
  if (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn <= 0) throw badBody(path, 'expires_in');
  const unionid = optionalString(wire, 'unionid');
  return {
    openid: stringField(wire, 'openid', path),
    accessToken: stringField(wire, 'access_token', path),
    expiresIn,
    refreshToken: stringField(wire, 'refresh_token', path),
    scope: typeof wire['scope'] === 'string' ? wire['scope'] : '',
    ...(unionid !== undefined && { unionid }),
  };
}

/**
 * The error a login endpoint's errcode means: the four typed refusals (40029, 40163, 45011, 40226), else a
 * WeChatError classified by the one errcode table.
 */
export function loginFailure(errcode: number, errmsg: string, endpoint: string): WxTokenError {
  switch (errcode) {
    case 40029:
      return new LoginCodeInvalidError(errmsg, endpoint);
    case 40163:
      return new LoginCodeUsedError(errmsg, endpoint);
    case 45011:
      return new LoginRateLimitedError(errmsg, endpoint);
    case 40226:
      return new LoginUserBlockedError(errmsg, endpoint);
    default:
      return wechatError(errcode, errmsg, endpoint, 'business');
  }
}

function successBody(body: unknown, path: string): Wire {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badBody(path, 'body');
  const wire = body as Wire;
  const errcode = wire['errcode'];
  if (typeof errcode === 'number' && errcode !== 0) throw loginFailure(errcode, typeof wire['errmsg'] === 'string' ? wire['errmsg'] : '', path);
  return wire;
}

function stringField(wire: Wire, name: string, path: string): string {
  const value = wire[name];
  if (typeof value !== 'string' || value.length === 0 || value.length > 512) throw badBody(path, name);
  return value;
}

function optionalString(wire: Wire, name: string): string | undefined {
  const value = wire[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function badBody(path: string, field: string): UpstreamTransportError {
  // Names the field, never its value: it may be a session key.
  return new UpstreamTransportError('bad-body', path, `the answer has no valid ${field}`);
}
