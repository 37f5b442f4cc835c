import fc from 'fast-check';
import { ADMIN_KEY, APP_CLASSIC, APP_STABLE, FUZZ_APPS, METRICS_KEY, SECRET_CLASSIC, SECRET_STABLE } from './target.js';

/**
 * Structure-aware request generators for the hub: every route family (v1, admin, compat, passthrough, health,
 * metrics) with valid and mutated paths, methods, credentials, headers, content types and bodies, plus raw request
 * lines mutated byte by byte. Values only known at run time (client keys, current tokens) are placeholders that
 * `materialise` (send.ts) fills in.
 */

/** A request to send: structured, or a structured one whose serialised bytes are then mutated. */
export interface FuzzRequest {
  readonly method: string;
  readonly target: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: string | Uint8Array | null;
  /** Applied to the serialised request, in order; empty for a well-formed request. */
  readonly raw: readonly RawMutation[];
}

/** A byte-level change to a serialised request. */
export type RawMutation =
  | { readonly op: 'flip'; readonly at: number; readonly byte: number }
  | { readonly op: 'insert'; readonly at: number; readonly text: string }
  | { readonly op: 'truncate'; readonly at: number }
  | { readonly op: 'version'; readonly version: string }
  | { readonly op: 'bare-lf' }
  | { readonly op: 'header'; readonly line: string };

export const PLACEHOLDERS = {
  keyStable: '{{KEY_STABLE}}',
  keyAll: '{{KEY_ALL}}',
  tokenStable: '{{TOKEN_STABLE}}',
  tokenClassic: '{{TOKEN_CLASSIC}}',
} as const;

const junkString = fc.oneof(
  fc.string({ maxLength: 24 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.constantFrom('', ' ', 'null', 'undefined', '__proto__', 'constructor', 'wxt_', 'wxt_AAAA', '%00', '\u0000', '../', '%2e%2e'),
  fc.integer({ min: 1, max: 20_000 }).map((n) => 'k'.repeat(n)),
);

/** Every credential the hub knows, placeholders for the run-time ones, and junk. */
export const credential = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom<string>(PLACEHOLDERS.keyStable, PLACEHOLDERS.keyAll, ADMIN_KEY, METRICS_KEY, SECRET_STABLE, SECRET_CLASSIC) },
  { weight: 2, arbitrary: junkString },
);

const appid = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom<string>(APP_STABLE, APP_CLASSIC, ...FUZZ_APPS, 'wx00000000000000ee') },
  {
    weight: 2,
    arbitrary: fc.constantFrom('wx12', 'WX00000000000000A1', 'wx00000000000000a1 ', 'wx00000000000000g1', '__proto__', 'constructor', 'hasOwnProperty', '..', '.', '%2e%2e', '', '*'),
  },
  { weight: 1, arbitrary: junkString.map((s) => encodeURIComponent(s)) },
);

/** Admin mutations (PUT/DELETE an app) never target the two real apps: WeChat would rightly reject a fuzzed secret. */
const mutableAppid = fc.oneof(fc.constantFrom<string>(...FUZZ_APPS, 'wx00000000000000ee'), appid.filter((a) => a !== APP_STABLE && a !== APP_CLASSIC));
const keyName = fc.oneof(fc.constantFrom('fuzz-new-1', 'fuzz-new-2', 'no-such-key', '__proto__', ''), junkString.map(encodeURIComponent));

const PASSTHROUGH_PATHS = [
  '/cgi-bin/menu/get',
  '/cgi-bin/menu/create',
  '/cgi-bin/message/custom/send',
  '/cgi-bin/token',
  '/cgi-bin/stable_token',
  '/cgi-bin/ticket/getticket',
  '/sns/jscode2session',
  '/sns/oauth2/access_token',
  '/wxa/getwxacodeunlimit',
  '/datacube/getweanalysisappiddailysummarytrend',
  '/card/create',
  '/merchant/get',
  '/shakearound/device/search',
  '/customservice/kfaccount/add',
  '/semantic/semproxy/search',
];

/** A path on one of the hub's routes (or near one), before mutation. */
const basePath = fc.oneof(
  appid.map((a) => `/v1/apps/${a}/access-token`),
  appid.map((a) => `/v1/apps/${a}/access-token/invalidate`),
  fc.constant('/v1/apps'),
  mutableAppid.map((a) => `/v1/apps/${a}`),
  appid.map((a) => `/v1/apps/${a}/refresh`),
  fc.constant('/v1/keys'),
  keyName.map((n) => `/v1/keys/${n}`),
  fc.constantFrom(...PASSTHROUGH_PATHS),
  fc.constantFrom('/healthz', '/readyz', '/metrics', '/', '/v1', '/v2/apps', '/__sim/state', '/favicon.ico'),
  fc.tuple(fc.constantFrom('/cgi-bin/', '/sns/', '/wxa/'), junkString).map(([p, s]) => p + encodeURIComponent(s)),
);

type PathMutation = (path: string, n: number, m: number) => string;

function segmentAt(path: string, n: number): [number, number] {
  const slashes = [...path.matchAll(/\//g)].map((x) => x.index);
  const start = slashes[n % Math.max(1, slashes.length)] ?? 0;
  const next = path.indexOf('/', start + 1);
  return [start, next === -1 ? path.length : next];
}

function encodeChar(c: string, upper: boolean): string {
  const hex = Buffer.from(c, 'utf8').toString('hex').match(/../g)!.map((h) => `%${upper ? h.toUpperCase() : h}`);
  return hex.join('');
}

const PATH_MUTATIONS: readonly PathMutation[] = [
  (p, n) => { const [s] = segmentAt(p, n); return `${p.slice(0, s)}/.${p.slice(s)}`; },
  (p, n) => { const [s] = segmentAt(p, n); return `${p.slice(0, s)}/x/..${p.slice(s)}`; },
  (p, n) => { const [s] = segmentAt(p, n); return `${p.slice(0, s)}/..${p.slice(s)}`; },
  (p, n, m) => { const [s] = segmentAt(p, n); return `${p.slice(0, s)}/${['%2e', '%2E', '.%2e', '%2e.', '%252e%252e', '%2e%2e'][m % 6]}${p.slice(s)}`; },
  (p, n, m) => { const i = 1 + (n % Math.max(1, p.length - 1)); return p.slice(0, i) + encodeChar(p[i] ?? 'a', m % 2 === 0) + p.slice(i + 1); },
  (p, n) => { const i = 1 + (n % Math.max(1, p.length - 1)); return `${p.slice(0, i)}%25${Buffer.from(p[i] ?? 'a').toString('hex')}${p.slice(i + 1)}`; },
  (p, n, m) => { const [s] = segmentAt(p, n); return p.slice(0, s) + ['\\', '%5c', '%5C', '%2f', '%2F', '//', '%00', '%ef%bc%8e', ';x=1', '.'][m % 10]! + p.slice(s + 1); },
  (p, n) => { const [s, e] = segmentAt(p, n); return p.slice(0, s) + p.slice(s, e).toUpperCase() + p.slice(e); },
  (p) => `${p}/`,
  (p, n) => `${p}/${'x'.repeat(1 + (n % 9_000))}`,
  (p, _n, m) => `${['http://evil.example', 'https://api.weixin.qq.com', '//evil.example', 'HTTP://127.0.0.1'][m % 4]}${p}`,
  (p, n) => { const [, e] = segmentAt(p, n); return `${p.slice(0, e)}.${p.slice(e)}`; },
  (p, _n, m) => `${p}${['#frag', '%23', '?', '??', '&', '%3f'][m % 6]}`,
];

// Half the paths are left as they are, so requests also get past routing into the handlers.
const mutatedPath = fc.oneof(
  basePath,
  fc
    .tuple(basePath, fc.array(fc.tuple(fc.nat(PATH_MUTATIONS.length - 1), fc.nat(10_000), fc.nat(100)), { minLength: 1, maxLength: 3 }))
    .map(([path, ops]) => ops.reduce((p, [op, n, m]) => PATH_MUTATIONS[op]!(p, n, m), path)),
);

const queryKey = fc.oneof(
  fc.constantFrom('grant_type', 'appid', 'secret', 'access_token', 'force_refresh', 'code', 'js_code'),
  fc.constantFrom('__proto__[polluted]', 'constructor[prototype][polluted]', '__proto__', 'a[b][c]', 'appid[]', 'secret[0]'),
  junkString.map(encodeURIComponent),
);
const queryValue = fc.oneof(
  fc.constantFrom('client_credential', APP_STABLE, APP_CLASSIC, PLACEHOLDERS.tokenStable, PLACEHOLDERS.tokenClassic, 'true', ''),
  credential,
  junkString.map(encodeURIComponent),
);
const query = fc.oneof(
  { weight: 2, arbitrary: fc.constant('') },
  { weight: 5, arbitrary: fc.array(fc.tuple(queryKey, queryValue), { minLength: 1, maxLength: 6 }).map((pairs) => `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`) },
  { weight: 1, arbitrary: junkString.map((s) => `?${s.replace(/[\s#]/g, '')}`) },
);

const deep = (open: string, close: string) => fc.integer({ min: 1, max: 9_000 }).map((n) => open.repeat(n) + close.repeat(n));

/** Bodies: the shapes each route reads, pollution attempts, deep and huge, truncated, invalid UTF-8. */
const body: fc.Arbitrary<string | Uint8Array | null> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(null) },
  {
    weight: 4,
    arbitrary: fc.oneof(
      fc.record({ access_token: fc.oneof(fc.constantFrom(PLACEHOLDERS.tokenStable, PLACEHOLDERS.tokenClassic), junkString) }),
      fc.record({ secret: fc.oneof(junkString, fc.constant('new-secret')), grant: fc.constantFrom('stable', 'classic', 'other') }, { requiredKeys: [] }),
      // A fixed set of names (some invalid), so the keys the fuzz creates stay few: growth would be state, not a leak.
      fc.record({ name: fc.constantFrom('fuzz-new-1', 'fuzz-new-2', '', '__proto__', 'a b', 'x'.repeat(65), 'ü'), apps: fc.array(fc.oneof(appid, fc.constant('*')), { maxLength: 3 }) }, { requiredKeys: [] }),
      fc.record({ grant_type: fc.constantFrom('client_credential', 'x'), appid, secret: credential, force_refresh: fc.boolean() }, { requiredKeys: [] }),
    ).map((o) => JSON.stringify(o)),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '{"__proto__":{"polluted":1,"admin":true}}',
      '{"constructor":{"prototype":{"polluted":1}}}',
      `{"access_token":"x","__proto__":{"polluted":1}}`,
      `{"secret":"s","grant":"stable","__proto__":{"grant":"classic","polluted":1}}`,
      `{"name":"n","apps":["*"],"constructor":{"prototype":{"polluted":1}}}`,
      `{"grant_type":"client_credential","appid":"${APP_STABLE}","secret":{"toString":"x"},"__proto__":{"secret":"${SECRET_STABLE}"}}`,
    ),
  },
  { weight: 1, arbitrary: fc.oneof(deep('[', ']'), deep('{"a":', '}').map((s) => s.replace(/\}$/, '1}')), deep('{"a":[', ']}')) },
  { weight: 1, arbitrary: fc.integer({ min: 16 * 1024 - 4, max: 64 * 1024 }).map((n) => `{"access_token":"${'x'.repeat(n)}"}`) },
  { weight: 1, arbitrary: fc.tuple(fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null'), fc.nat()).map(([s, n]) => s.slice(0, n % (s.length + 1))) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.concat([Buffer.from('{"access_token":"'), Buffer.from(bytes), Buffer.from([0xff, 0xfe, 0xc0, 0xae]), Buffer.from('"}')])) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null') },
);

const contentType = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8') },
  {
    weight: 2,
    arbitrary: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/octet-stream', 'application/JSON', 'application/json; charset=latin1', 'json', '', ';;', 'application/json\u0001'),
  },
);

const authorization = fc.oneof(
  fc.constant(null),
  credential.map((c) => `Bearer ${c}`),
  fc.tuple(fc.constantFrom('bearer ', 'BEARER ', 'Bearer  ', 'Basic ', 'Token ', '', 'Bearer\t'), credential).map(([s, c]) => s + c),
);

const extraHeader = fc.oneof(
  fc.constantFrom<[string, string]>(
    ['x-forwarded-for', '10.0.0.1'],
    ['x-forwarded-host', 'evil.example'],
    ['cookie', 'a=b'],
    ['transfer-encoding', 'gzip'],
    ['expect', '100-continue'],
    ['accept-encoding', 'gzip, br'],
    ['host', 'evil.example'],
    ['x-http-method-override', 'DELETE'],
  ),
  fc.tuple(fc.constantFrom('x-junk', 'x-long'), fc.integer({ min: 1, max: 12_000 })).map(([n, len]) => [n, 'v'.repeat(len)] as [string, string]),
);

const method = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE') },
  { weight: 2, arbitrary: fc.constantFrom('HEAD', 'OPTIONS', 'PATCH', 'TRACE', 'PROPFIND', 'get', 'CONNECT', 'FOO', 'M-SEARCH') },
);

/** A structured request to any route. */
export const structuredRequest: fc.Arbitrary<FuzzRequest> = fc
  .record({ method, path: mutatedPath, query, authorization, contentType: fc.option(contentType), body, extra: fc.array(extraHeader, { maxLength: 2 }) })
  .map(({ method: m, path, query: q, authorization: auth, contentType: ct, body: b, extra }) => {
    const headers: Array<readonly [string, string]> = [];
    if (auth !== null) headers.push(['authorization', auth]);
    if (ct !== null) headers.push(['content-type', ct]);
    headers.push(...extra);
    return { method: m, target: path + q, headers, body: b, raw: [] };
  });

const rawMutation: fc.Arbitrary<RawMutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(400), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({
    op: fc.constant('insert' as const),
    at: fc.nat(400),
    text: fc.constantFrom('\r\n', '\n', '\r', '\0', ' ', ':', '\r\n\r\n', 'Content-Length: 5\r\n', 'Transfer-Encoding: chunked\r\n', '\t', 'é'),
  }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat(400) }),
  fc.record({ op: fc.constant('version' as const), version: fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/0.9', 'HTTP/1.1 ', 'http/1.1', '', 'HTTP/1.12') }),
  fc.constant({ op: 'bare-lf' as const }),
  fc.record({
    op: fc.constant('header' as const),
    line: fc.constantFrom(
      'Content-Length: 3',
      'Content-Length: 99999999999999999999',
      'Content-Length: -1',
      'Transfer-Encoding: chunked',
      'Transfer-Encoding: chunked, identity',
      ' folded: continuation',
      'Bad Header: x',
      'X: \u0000',
      `Authorization: Bearer ${ADMIN_KEY}`,
      'Content-Type: application/json',
      'Host:',
    ),
  }),
);

/** A request whose serialised bytes are mutated: malformed request lines, headers, framing. */
export const rawRequestArb: fc.Arbitrary<FuzzRequest> = fc
  .tuple(structuredRequest, fc.array(rawMutation, { minLength: 1, maxLength: 3 }))
  .map(([req, raw]) => ({ ...req, raw }));

/** The mix the fuzz sends: mostly structured requests, a fifth of them mangled on the wire. */
export const fuzzRequest: fc.Arbitrary<FuzzRequest> = fc.oneof({ weight: 4, arbitrary: structuredRequest }, { weight: 1, arbitrary: rawRequestArb });
