import { InvalidRequestError } from '../errors/index.js';

/** The longest page URL the hub signs; WeChat's own limit is not published, browsers cap URLs near this. */
const MAX_PAGE_URL_LENGTH = 8_192;

/** Checks a page URL as `wx.config` signs it: absolute http(s), within the length limit. */
export function validatePageUrl(url: unknown): void {
  let parsed: URL | undefined;
  try {
    parsed = typeof url === 'string' && url.length <= MAX_PAGE_URL_LENGTH ? new URL(url) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw new InvalidRequestError(`url must be the page's absolute http(s) URL, at most ${MAX_PAGE_URL_LENGTH} characters`);
  }
}
