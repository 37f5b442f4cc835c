import { isTokenInvalid } from '../../wechat/errcodes.js';

/**
 * The errcode of a complete WeChat answer if it says the token it was called with was not accepted (40001, 40014,
 * 42001: classified `token-invalid` in wechat/errcodes.ts), else undefined. WeChat sends these with HTTP 200 and a
 * small JSON body, sometimes labelled text/plain, so the content type is not consulted; a body that does not start
 * with `{` (a media file, an HTML page) is never parsed.
 */
export function tokenRejectionErrcode(body: Buffer): number | undefined {
  let i = 0;
  while (i < body.length && (body[i] === 0x20 || body[i] === 0x0a || body[i] === 0x0d || body[i] === 0x09)) i++;
  if (body[i] !== 0x7b /* '{' */) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const errcode = (value as { errcode?: unknown }).errcode;
  return typeof errcode === 'number' && isTokenInvalid(errcode) ? errcode : undefined;
}
