/** Every way a WeChat response can be unusable, each echoing the request (URL and body) wherever a body could. */
import { connectionReset, jsonResponse, textResponse, type RecordedRequest, type Responder } from './fake-fetch.js';

function echo(request: RecordedRequest): string {
  return `${request.url.href} ${request.body ?? ''}`;
}

function html502(request: RecordedRequest): string {
  return `<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body><center><h1>502 Bad Gateway</h1></center><p>${echo(request)}</p></body>\r\n</html>\r\n`;
}

/** [what, responder, expected failure, expected httpStatus]. */
export const BROKEN: ReadonlyArray<[string, Responder, string, number | undefined]> = [
  ['a non-JSON body', (r) => textResponse(`Service temporarily unavailable for ${echo(r)}`, 200), 'bad-body', 200],
  ['an empty body (text/html; charset=gbk, as captured in 2017)', () => textResponse('', 200, 'text/html; charset=gbk'), 'bad-body', 200],
  ['a whitespace-only body', () => textResponse(' \r\n', 200), 'bad-body', 200],
  ['an HTML 502 page', (r) => textResponse(html502(r), 502, 'text/html'), 'http-status', 502],
  ['an HTML page with HTTP 200', (r) => textResponse(html502(r), 200, 'text/html'), 'bad-body', 200],
  ['HTTP 500 with a JSON body', (r) => jsonResponse({ errcode: -1, errmsg: `system error ${echo(r)}` }, 500), 'http-status', 500],
  ['HTTP 404', (r) => textResponse(`not found: ${echo(r)}`, 404), 'http-status', 404],
  ['a redirect (never followed: it would replay the secret)', (r) => new Response(null, { status: 302, headers: { location: r.url.href } }), 'http-status', 302],
  ['truncated JSON', (r) => textResponse(`{"access_token":"74_zXWeyocQB3qQ${echo(r)}`, 200, 'application/json'), 'bad-body', 200],
  ['a JSON array', (r) => jsonResponse([echo(r)]), 'bad-body', 200],
  ['JSON null', () => jsonResponse(null), 'bad-body', 200],
  ['a non-integer errcode', (r) => jsonResponse({ errcode: '40001', errmsg: echo(r) }), 'bad-body', 200],
  ['a body over 1 MiB', (r) => textResponse(`{"pad":"${'x'.repeat(1_100_000)}","echo":${JSON.stringify(echo(r))}}`, 200, 'application/json'), 'bad-body', 200],
  ['a success body of the wrong shape', (r) => jsonResponse({ access_token: -1, ticket: -1, quota: echo(r), ip_list: echo(r), expires_in: echo(r) }), 'bad-body', undefined],
  ['a connection reset (undici TypeError with an ECONNRESET cause)', connectionReset, 'network', undefined],
  ['a fetch that rejects with a non-Error', () => Promise.reject('socket hang up'), 'network', undefined],
  ['a fetch that throws synchronously with the URL in its message', (r) => {
    throw new TypeError(`Failed to parse URL from ${r.url.href}`);
  }, 'network', undefined],
];
