import { createHash } from 'node:crypto';
import { InvalidRequestError } from '../errors/index.js';
import { WindowCounter, minuteIndex } from './calendar.js';

/**
 * The user-login half of WeChat as the simulator models it: one-time login codes a client (wx.login in a Mini
 * Program, the OAuth redirect of an Official Account page) would receive, and what exchanging one yields. A test
 * mints a code for a named user through the control API, then hands it to the service under test.
 */

/** Which exchange a code is for: `jscode` (Mini Program wx.login → /sns/jscode2session), `oauth` (web sign-in). */
export type LoginCodeKind = 'jscode' | 'oauth';

/** How long a minted code may be exchanged: WeChat's login codes live five minutes. */
export const LOGIN_CODE_TTL_MS = 5 * 60_000;
/** Exchanges per user per minute before 45011 ("100 times per minute for each user", auth.code2Session). */
export const LOGIN_USER_MINUTE_LIMIT = 100;
/** Lifetime of a web (OAuth) user access token, as WeChat reports it. */
export const OAUTH_TOKEN_TTL_SECONDS = 7200;
// Enough codes for any test run, bounded so a benchmark cannot grow memory without end.
const MAX_REMEMBERED_CODES = 100_000;
const USER_PATTERN = /^[A-Za-z0-9_.@-]{1,64}$/;
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** What the control API asks for when it mints a code. */
export interface MintCodeInput {
  /** A stable name of the simulated WeChat user; the same user gets the same openid per app. */
  readonly user: string;
  /** Default `jscode`. */
  readonly kind?: LoginCodeKind;
  /** The user is one WeChat flags as risky: exchanging the code answers 40226. Default false. */
  readonly risky?: boolean;
  /** The app is bound to an Open Platform account: the exchange also returns a unionid. Default false. */
  readonly unionid?: boolean;
  /** OAuth scope granted (only for `oauth`). Default `snsapi_base`. */
  readonly scope?: string;
}

/** A minted code and the openid its exchange will return (tests compare with it). */
export interface MintedCode {
  readonly code: string;
  readonly openid: string;
  readonly kind: LoginCodeKind;
  readonly expiresAt: number;
}

interface CodeRecord {
  readonly appid: string;
  readonly user: string;
  readonly kind: LoginCodeKind;
  readonly risky: boolean;
  readonly unionid: boolean;
  readonly scope: string;
  readonly expiresAt: number;
  used: boolean;
}

/** The result of exchanging a code: the user's identity for the app, or the errcode WeChat answers. */
export type CodeExchange =
  | { readonly ok: true; readonly openid: string; readonly unionid?: string; readonly scope: string }
  | { readonly ok: false; readonly errcode: 40029 | 40163 | 40226 | 45011 };

/**
 * Minted login codes and their one-time exchange. Pure over the injected clock and random source. Codes are
 * bound to one app and one kind: a code minted for app A is unknown (40029) to app B, as in WeChat.
 */
export class LoginCodes {
  readonly #codes = new Map<string, CodeRecord>();
  readonly #perUserMinute = new Map<string, WindowCounter>();
  readonly #outcomes = new Map<string, Record<string, number>>();
  readonly #now: () => number;
  readonly #random: () => number;

  constructor(now: () => number, random: () => number) {
    this.#now = now;
    this.#random = random;
  }

  /** Mints a one-time code for `input.user` of `appid`; InvalidRequestError names a bad field. */
  mint(appid: string, input: MintCodeInput): MintedCode {
    const user = input?.user;
    if (typeof user !== 'string' || !USER_PATTERN.test(user)) throw new InvalidRequestError('user must be 1-64 characters of A-Z a-z 0-9 _ . @ -');
    const kind = input.kind ?? 'jscode';
    if (kind !== 'jscode' && kind !== 'oauth') throw new InvalidRequestError('kind must be "jscode" or "oauth"');
    for (const flag of ['risky', 'unionid'] as const) {
      if (input[flag] !== undefined && typeof input[flag] !== 'boolean') throw new InvalidRequestError(`${flag} must be a boolean`);
    }
    const scope = input.scope ?? 'snsapi_base';
    if (scope !== 'snsapi_base' && scope !== 'snsapi_userinfo') throw new InvalidRequestError('scope must be "snsapi_base" or "snsapi_userinfo"');
    const code = randomChars(this.#random, BASE64URL, 32);
    const expiresAt = this.#now() + LOGIN_CODE_TTL_MS;
    this.#codes.set(code, { appid, user, kind, risky: input.risky === true, unionid: input.unionid === true, scope, expiresAt, used: false });
    if (this.#codes.size > MAX_REMEMBERED_CODES) {
      const oldest = this.#codes.keys().next().value;
      if (oldest !== undefined) this.#codes.delete(oldest);
    }
    return { code, openid: openidOf(appid, user), kind, expiresAt };
  }

  /**
   * Exchanges `code` for `appid` (the secret already checked): 40029 for a code that is unknown, expired, of
   * another app or of the other kind; 40163 for one already exchanged; 40226 for a risky user (the code is
   * spent); 45011 past the per-user minute limit (the code stays usable).
   */
  exchange(appid: string, code: string, kind: LoginCodeKind): CodeExchange {
    const record = this.#codes.get(code);
    const now = this.#now();
    if (!record || record.appid !== appid || record.kind !== kind || now >= record.expiresAt) return { ok: false, errcode: 40029 };
    if (record.used) return { ok: false, errcode: 40163 };
    const userKey = `${appid}\n${record.user}`;
    let counter = this.#perUserMinute.get(userKey);
    if (!counter) this.#perUserMinute.set(userKey, (counter = new WindowCounter(minuteIndex)));
    if (!counter.tryTake(now, LOGIN_USER_MINUTE_LIMIT)) return { ok: false, errcode: 45011 };
    record.used = true;
    if (record.risky) return { ok: false, errcode: 40226 };
    return {
      ok: true,
      openid: openidOf(appid, record.user),
      ...(record.unionid && { unionid: unionidOf(record.user) }),
      scope: record.scope,
    };
  }

  /** Counts an answered login request of `appid` on `path` by outcome (`ok` or the errcode). */
  count(appid: string, path: string, outcome: 'ok' | number): void {
    const key = `${appid}\n${path}`;
    const counts = this.#outcomes.get(key) ?? {};
    counts[String(outcome)] = (counts[String(outcome)] ?? 0) + 1;
    this.#outcomes.set(key, counts);
  }

  /** Login requests of `appid` by path and outcome, e.g. `{"/sns/jscode2session": {"ok": 2, "40163": 1}}`. */
  outcomes(appid: string): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [key, counts] of this.#outcomes) {
      const [owner, path] = key.split('\n') as [string, string];
      if (owner === appid) out[path] = { ...counts };
    }
    return out;
  }

  /** A new session key: 16 random bytes in base64, the shape of WeChat's (the key of wx's AES-128 user data). */
  sessionKey(): string {
    return `${randomChars(this.#random, BASE64, 22)}==`;
  }

  /** A new opaque token of `length` base64url characters (web access tokens, refresh tokens). */
  opaqueToken(length: number): string {
    return randomChars(this.#random, BASE64URL, length);
  }
}

/** The user's openid for an app: 28 characters starting with `o`, different per app, stable per user. */
export function openidOf(appid: string, user: string): string {
  return `o${digest(`openid\n${appid}\n${user}`).slice(0, 27)}`;
}

/** The user's unionid: one per user across the apps of an Open Platform account (the simulator has one). */
export function unionidOf(user: string): string {
  return `o${digest(`unionid\n${user}`).slice(0, 27)}`;
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

function randomChars(random: () => number, alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(random() * alphabet.length) % alphabet.length];
  return out;
}
