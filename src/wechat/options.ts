import { systemClock, type Clock } from '../util/clock.js';
import { ConfigError } from '../errors/index.js';

/** WeChat's nearest API host (§0 of docs/wechat-api.md); the DR and regional hosts are opt-in via `baseUrl`. */
export const DEFAULT_WECHAT_BASE_URL = 'https://api.weixin.qq.com';

/** WeCom's API host; WeCom endpoints default to it instead of the WeChat host. */
export const DEFAULT_WECOM_BASE_URL = 'https://qyapi.weixin.qq.com';

/**
 * WeChat answers in well under a second when healthy; 10 s bounds a stuck connection without failing a slow but
 * working one, and stays well below the hub's refresh lease (30 s) so a timed-out fetch never outlives its lease.
 */
export const DEFAULT_TIMEOUT_MS = 10_000;

/** Every WeChat answer seen is a few KiB at most (menu/get is the largest); more is a broken or hostile upstream. */
export const DEFAULT_MAX_BODY_BYTES = 1_048_576;

/** How and where one request to WeChat is made; every field is optional. */
export interface WeChatRequestOptions {
  /** API base URL, e.g. a simulator's `http://127.0.0.1:PORT`; default DEFAULT_WECHAT_BASE_URL (WeCom: DEFAULT_WECOM_BASE_URL). */
  baseUrl?: string;
  /** Milliseconds of real time the whole request (headers and body) may take; default DEFAULT_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Aborts the request; the promise then rejects with an UpstreamTransportError of failure 'aborted'. */
  signal?: AbortSignal;
  /** The fetch implementation; default the global one. */
  fetch?: typeof fetch;
  /** Reads the time a request starts, from which `expiresAt` is computed; default the system clock. */
  clock?: Clock;
}

/** WeChatRequestOptions with defaults applied and values checked. */
export interface ResolvedRequestOptions {
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly signal: AbortSignal | undefined;
  readonly fetch: typeof fetch;
  readonly clock: Clock;
}

/** Applies defaults and validates eagerly; throws ConfigError naming the option and its bad value. */
export function resolveRequestOptions(options: WeChatRequestOptions, defaultBaseUrl: string): ResolvedRequestOptions {
  const baseUrl = options.baseUrl ?? defaultBaseUrl;
  if (typeof baseUrl !== 'string' || !isHttpUrl(baseUrl)) {
    throw new ConfigError(`option baseUrl must be an http(s) URL without query or credentials, got ${describeUrl(baseUrl)}`);
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new ConfigError(`option timeoutMs must be a positive number of milliseconds, got ${describe(timeoutMs)}`);
  }
  const fetchImpl = options.fetch ?? globalThis.fetch;
  if (typeof fetchImpl !== 'function') throw new ConfigError('option fetch must be a function (no global fetch is available)');
  return {
    baseUrl: baseUrl.replace(/\/+$/, ''),
    timeoutMs,
    signal: options.signal,
    fetch: fetchImpl,
    clock: options.clock ?? systemClock,
  };
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    // A query or fragment would be mangled by path joining; credentials would end up in every request.
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.search === '' && url.hash === '' && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

function describeUrl(value: unknown): string {
  try {
    // Never echo credentials embedded in a URL.
    if (typeof value === 'string' && new URL(value).password !== '') return 'a URL with a password in it';
  } catch {
    // Not a URL: shown below as given.
  }
  return describe(value);
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value.slice(0, 200)) : String(value);
}
