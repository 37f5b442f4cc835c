import { compatTokenPath } from '../../src/server/compat/token-endpoints.js';
import { DEFAULT_PASSTHROUGH_PREFIXES } from '../../src/server/index.js';
import { parseRawResponse, type RawResponse } from '../support/raw-http.js';
import { connect } from 'node:net';
import { PLACEHOLDERS, type FuzzRequest } from './arbitraries.js';
import { APP_CLASSIC, APP_STABLE, UPSTREAM_BASE_PATH, type FuzzTarget } from './target.js';

/** How long a well-formed request may take to be answered; a mangled one is given up on much sooner. */
const ANSWER_WITHIN_MS = 10_000;
const MANGLED_GRACE_MS = 400;

/** The bytes of a request, with run-time values (client keys, current tokens) filled in and mutations applied. */
export function materialise(req: FuzzRequest, target: FuzzTarget): Buffer {
  const fill = (s: string): string =>
    s
      .replaceAll(PLACEHOLDERS.keyStable, target.keys.scopedToStable)
      .replaceAll(PLACEHOLDERS.keyAll, target.keys.all)
      .replaceAll(PLACEHOLDERS.tokenStable, target.hub.currentToken?.(APP_STABLE)?.token ?? 'none')
      .replaceAll(PLACEHOLDERS.tokenClassic, target.hub.currentToken?.(APP_CLASSIC)?.token ?? 'none');
  const body = req.body === null ? null : typeof req.body === 'string' ? Buffer.from(fill(req.body)) : Buffer.from(req.body);
  const lines = [`${req.method} ${fill(req.target)} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
  for (const [name, value] of req.headers) lines.push(`${name}: ${fill(value)}`);
  if (body !== null) lines.push(`Content-Length: ${body.length}`);
  let text = Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body ?? Buffer.alloc(0)]);
  for (const m of req.raw) {
    const at = (n: number): number => Math.min(n, text.length);
    switch (m.op) {
      case 'flip':
        if (text.length > 0) text[m.at % text.length] = m.byte;
        break;
      case 'insert':
        text = Buffer.concat([text.subarray(0, at(m.at)), Buffer.from(m.text), text.subarray(at(m.at))]);
        break;
      case 'truncate':
        text = text.subarray(0, at(m.at));
        break;
      case 'version':
        text = Buffer.from(text.toString('latin1').replace(/ HTTP\/1\.1\r\n/, m.version === '' ? '\r\n' : ` ${m.version}\r\n`), 'latin1');
        break;
      case 'bare-lf':
        text = Buffer.from(text.toString('latin1').replaceAll('\r\n', '\n'), 'latin1');
        break;
      case 'header': {
        const end = text.indexOf('\r\n');
        if (end !== -1) text = Buffer.concat([text.subarray(0, end + 2), Buffer.from(`${m.line}\r\n`), text.subarray(end + 2)]);
        break;
      }
    }
  }
  return text;
}

/** Sends `bytes` on a fresh loopback connection and reads until the server closes it (or the wait is over). */
export function send(port: number, bytes: Buffer, mangled: boolean): Promise<RawResponse> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(bytes));
    const timer = setTimeout(() => socket.destroy(), mangled ? MANGLED_GRACE_MS : ANSWER_WITHIN_MS);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      // A mangled request may leave the connection open after an answer; the status line is all we need.
      if (mangled && Buffer.concat(chunks).includes('\r\n\r\n')) {
        clearTimeout(timer);
        setTimeout(() => socket.destroy(), 50);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      // Skip interim answers (100 Continue): the final status is the one judged.
      const text = Buffer.concat(chunks).toString('latin1').replace(/^(HTTP\/1\.1 1\d\d [^\r\n]*\r\n\r\n)+/, '');
      resolve(parseRawResponse(text));
    });
  });
}

const TOKEN_LIKE = /\d{2}_[A-Za-z0-9_-]{64,}/g;

/**
 * What must hold for every request: no 5xx caused by the input, an answer to every well-formed request, no token
 * of an app to a caller whose credentials do not cover it, and no secret or key the caller did not send. Returns
 * the violations (empty when the response is fine).
 */
export function judge(target: FuzzTarget, requestBytes: Buffer, mangled: boolean, res: RawResponse): string[] {
  const problems: string[] = [];
  const request = requestBytes.toString('latin1');
  const text = res.raw;
  if (res.status >= 500) {
    // WeChat rejecting an app the fuzz itself registered with a made-up secret is a correct 502.
    const rejectedFuzzApp = res.body.includes('"credentials_rejected"') && !res.body.includes(APP_STABLE) && !res.body.includes(APP_CLASSIC);
    if (!rejectedFuzzApp) problems.push(`HTTP ${res.status}: ${res.body.slice(0, 200)}`);
  }
  if (!mangled && res.status === 0) problems.push('no answer to a well-formed request');
  const covered = new Set<string>();
  let all = false;
  for (const c of target.credentials) {
    if (!request.includes(c.value)) continue;
    if (c.covers === '*') all = true;
    else for (const a of c.covers) covered.add(a);
  }
  for (const token of text.match(TOKEN_LIKE) ?? []) {
    if (request.includes(token)) continue;
    const owner = target.sim.state.tokenOwnerId(token);
    if (owner !== undefined && !all && !covered.has(owner)) problems.push(`token of ${owner} returned to a caller not scoped to it`);
  }
  for (const c of target.credentials) {
    if (text.includes(c.value) && !request.includes(c.value)) problems.push(`a credential the caller did not send was returned (${c.value.slice(0, 6)}…)`);
  }
  return problems;
}

const SAFE_FORWARDED_PATH = /^[A-Za-z0-9_~./-]+$/;

/** Violations among the requests the passthrough forwarded: only resolved paths under a prefix, never a token endpoint. */
export function judgeForwarded(target: FuzzTarget): string[] {
  const problems: string[] = [];
  for (const r of target.stub.received) {
    const q = r.url.indexOf('?');
    const path = q === -1 ? r.url : r.url.slice(0, q);
    if (!path.startsWith(`${UPSTREAM_BASE_PATH}/`)) {
      problems.push(`forwarded outside the upstream base path: ${path.slice(0, 80)}`);
      continue;
    }
    const rest = path.slice(UPSTREAM_BASE_PATH.length);
    if (!SAFE_FORWARDED_PATH.test(rest) || rest.split('/').some((s) => s === '.' || s === '..')) problems.push(`forwarded an unresolved path: ${rest.slice(0, 80)}`);
    if (!DEFAULT_PASSTHROUGH_PREFIXES.some((p) => rest.startsWith(p))) problems.push(`forwarded outside the prefixes: ${rest.slice(0, 80)}`);
    if (compatTokenPath(rest) !== null) {
      problems.push(`forwarded a token-endpoint call: ${rest.slice(0, 80)}`);
    }
  }
  return problems;
}

/** Whether a request body or query managed to pollute Object.prototype in this process. */
export function prototypePolluted(): boolean {
  const probe: Record<string, unknown> = {};
  return probe['polluted'] !== undefined || probe['admin'] !== undefined || Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted');
}
