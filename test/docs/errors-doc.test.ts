import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  AppNotFoundError,
  ConfigError,
  ConflictError,
  CredentialsRejectedError,
  ERROR_CODES,
  ForbiddenError,
  InvalidRequestError,
  LoginCodeInvalidError,
  LoginCodeUsedError,
  LoginRateLimitedError,
  LoginUserBlockedError,
  NotFoundError,
  PayloadTooLargeError,
  PrincipalBusyError,
  QuotaExhaustedError,
  StoreUnavailableError,
  UnauthorizedError,
  UpstreamTransportError,
  UpstreamUnavailableError,
  type WxTokenError,
} from '../../src/errors/index.js';
import { WECOM_TOKEN_ERRCODES } from '../../src/server/compat/wecom-token-endpoint.js';
import { WECOM_ERRMSG } from '../../src/wechat/wecom-errmsg.js';
import { COMPAT_ERRORS, INTERNAL_ERROR_CODE } from '../../src/server/index.js';
import { wechatError } from '../../src/wechat/errcodes.js';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

/** The `### \`code\`` sections of "## wxtoken error codes", with the status each documents. */
function documentedCodes(): Map<string, number | undefined> {
  const start = doc.indexOf('\n## wxtoken error codes');
  expect(start, 'docs/errors.md needs a "## wxtoken error codes" section').toBeGreaterThan(-1);
  const rest = doc.slice(start + 1);
  const end = rest.indexOf('\n## ', 1);
  const section = end === -1 ? rest : rest.slice(0, end);
  const codes = new Map<string, number | undefined>();
  for (const block of section.split(/^### /m).slice(1)) {
    const heading = /^`([a-z_]+)`\s*$/m.exec(block.split('\n')[0] ?? '');
    expect(heading, `malformed code heading: ### ${block.split('\n')[0]}`).not.toBeNull();
    const code = heading![1]!;
    expect(codes.has(code), `${code} is documented twice`).toBe(false);
    const status = /^- \*\*HTTP status:\*\* (\d{3})\b/m.exec(block)?.[1];
    codes.set(code, status === undefined ? undefined : Number(status));
  }
  return codes;
}

// One instance per error class, to check the documented status against the code's real one.
const INSTANCES: readonly WxTokenError[] = [
  new AppNotFoundError('wx0123456789abcdef'),
  new ConfigError('x'),
  new ConflictError('x'),
  new CredentialsRejectedError('x'),
  new ForbiddenError('x'),
  new InvalidRequestError('x'),
  new LoginCodeInvalidError('invalid code', '/sns/jscode2session'),
  new LoginCodeUsedError('code been used', '/sns/jscode2session'),
  new LoginRateLimitedError('api minute-quota reach limit', '/sns/jscode2session'),
  new LoginUserBlockedError('high risk user', '/sns/jscode2session'),
  new NotFoundError('x'),
  new PayloadTooLargeError(1),
  new PrincipalBusyError('x'),
  new QuotaExhaustedError('x'),
  new StoreUnavailableError('x'),
  new UnauthorizedError(),
  new UpstreamTransportError('timeout', '/cgi-bin/token', 'x'),
  new UpstreamUnavailableError('x'),
  wechatError(-1, 'system error', '/cgi-bin/token', 'token'),
];

describe('docs/errors.md', () => {
  it('documents every code in ERROR_CODES', () => {
    const documented = documentedCodes();
    const missing = ERROR_CODES.filter((c) => !documented.has(c));
    expect(missing, 'codes in ERROR_CODES but not in docs/errors.md').toEqual([]);
  });

  it('documents no code that ERROR_CODES lacks', () => {
    const known = new Set<string>(ERROR_CODES);
    const extra = [...documentedCodes().keys()].filter((c) => !known.has(c));
    expect(extra, 'codes in docs/errors.md but not in ERROR_CODES').toEqual([]);
  });

  it('gives each code an HTTP status, matching the error class where one exists', () => {
    const documented = documentedCodes();
    for (const [code, status] of documented) expect(status, `${code} has no "- **HTTP status:**" line`).toBeTypeOf('number');
    for (const err of INSTANCES) expect(documented.get(err.code), `status of ${err.code}`).toBe(err.status);
    expect(documented.get(INTERNAL_ERROR_CODE)).toBe(500);
  });

  it('lists every errcode the WeChat-compatible endpoints emit', () => {
    const start = doc.indexOf('\n## WeChat-compatible errcodes');
    const wecomStart = doc.indexOf('\n### WeCom-compatible errcodes');
    expect(start).toBeGreaterThan(-1);
    expect(wecomStart).toBeGreaterThan(start);
    const rows = tableRows(doc.slice(start, wecomStart));
    for (const { errcode, errmsg } of Object.values(COMPAT_ERRORS)) {
      expect(rows.has(errcode), `errcode ${errcode} is not in the table`).toBe(true);
      // The table shows each errcode's base errmsg; variants (e.g. the credentials one) extend it.
      expect(errmsg.startsWith(rows.get(errcode)!), `errmsg of ${errcode}`).toBe(true);
    }
  });

  it("lists every errcode the WeCom-compatible gettoken emits, with WeCom's text", () => {
    const start = doc.indexOf('\n### WeCom-compatible errcodes');
    const rows = tableRows(doc.slice(start, doc.indexOf('\n## ', start + 1) === -1 ? undefined : doc.indexOf('\n## ', start + 1)));
    for (const errcode of WECOM_TOKEN_ERRCODES) {
      expect(rows.get(errcode), `errcode ${errcode}`).toBe(WECOM_ERRMSG.get(errcode));
    }
  });
});

/** The `| errcode | \`errmsg\` |` rows of a markdown table. */
function tableRows(text: string): Map<number, string> {
  const rows = new Map<number, string>();
  for (const m of text.matchAll(/^\| (-?\d+) \| `([^`]+)` \|/gm)) rows.set(Number(m[1]), m[2]!);
  return rows;
}
