import { UpstreamTransportError, WeChatError } from '../errors/index.js';
import { wechatError, type EndpointKind } from './errcodes.js';
import { DEFAULT_MAX_BODY_BYTES, type ResolvedRequestOptions } from './options.js';
import { errorCode, redact, sanitizeError, scrubText } from './redact.js';

/** One request to WeChat, described without any URL: the path is what errors name, the query never is. */
export interface WeChatCall {
  readonly method: 'GET' | 'POST';
  /** The API path, e.g. `/cgi-bin/token`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  /** Sent as JSON (POST only). */
  readonly json?: Readonly<Record<string, unknown>>;
  /** Decides what 40001 means (bad secret on credential endpoints, stale token elsewhere). */
  readonly kind: EndpointKind;
  /** Values (AppSecret, access token) that must not appear in anything thrown, even if WeChat echoes them. */
  readonly secrets: readonly string[];
}

/** A 2xx JSON object body with no error in it, and the clock reading taken just before the request was sent. */
export interface WeChatReply {
  readonly body: Readonly<Record<string, unknown>>;
  readonly startedAt: number;
}

/**
 * Sends `call` and returns its body once it is known to be a JSON object without a non-zero errcode. Rejects with
 * WeChatError (non-zero errcode) or UpstreamTransportError (everything else); neither ever holds the URL's query,
 * a secret or raw body text.
 */
export async function callWeChat(call: WeChatCall, options: ResolvedRequestOptions): Promise<WeChatReply> {
  const { path } = call;
  const caller = options.signal;
  if (caller?.aborted) throw new UpstreamTransportError('aborted', path, 'aborted by the caller before it was sent');

  const controller = new AbortController();
  let abortedBy: 'timeout' | 'caller' | undefined;
  const stop = (by: 'timeout' | 'caller'): void => {
    abortedBy ??= by;
    controller.abort();
  };
  // Real time, not the injected clock: a ManualClock that never advances must not make requests immortal.
  const timer = setTimeout(() => stop('timeout'), options.timeoutMs);
  const onCallerAbort = (): void => stop('caller');
  caller?.addEventListener('abort', onCallerAbort, { once: true });
  // Settles only by rejecting, so a fetch that ignores its signal still cannot outlive the timeout.
  const aborted = new Promise<never>((_, reject) => {
    controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
  });

  const startedAt = options.clock.now();
  const exchange = send(call, options, controller.signal);
  exchange.catch(() => undefined); // it may lose the race below; its late rejection is expected, not unhandled
  aborted.catch(() => undefined);
  try {
    const { status, contentType, text } = await Promise.race([exchange, aborted]);
    return { body: parseBody(call, status, contentType, text), startedAt };
  } catch (err) {
    if (abortedBy === 'timeout') throw new UpstreamTransportError('timeout', path, `no complete answer within ${options.timeoutMs} ms`);
    if (abortedBy === 'caller') throw new UpstreamTransportError('aborted', path, 'aborted by the caller');
    if (err instanceof WeChatError || err instanceof UpstreamTransportError) throw err;
    const code = errorCode(err);
    const detail = code === undefined ? 'the request failed' : `the request failed (${scrubText(code, call.secrets)})`;
    throw new UpstreamTransportError('network', path, detail, { cause: sanitizeError(err, call.secrets) });
  } finally {
    clearTimeout(timer);
    caller?.removeEventListener('abort', onCallerAbort);
  }
}

interface RawAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
}

async function send(call: WeChatCall, options: ResolvedRequestOptions, signal: AbortSignal): Promise<RawAnswer> {
  const url = new URL(options.baseUrl + call.path);
  for (const [name, value] of Object.entries(call.query ?? {})) url.searchParams.set(name, value);
  const init: RequestInit = {
    method: call.method,
    headers: call.json === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
    signal,
    // A redirect would replay the secret-bearing query or body to wherever it points; WeChat never redirects.
    redirect: 'manual',
  };
  if (call.json !== undefined) init.body = JSON.stringify(call.json);
  const response = await options.fetch(url, init);
  const contentType = mediaType(response.headers.get('content-type'));
  if (response.status < 200 || response.status > 299) {
    response.body?.cancel().catch(() => undefined);
    const type = contentType === '' ? '' : `, ${contentType}`;
    throw new UpstreamTransportError('http-status', call.path, `HTTP ${response.status}${type}`, { httpStatus: response.status });
  }
  return { status: response.status, contentType, text: await readText(response, call.path) };
}

/** Reads the body as UTF-8, refusing more than DEFAULT_MAX_BODY_BYTES. */
async function readText(response: Response, path: string): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > DEFAULT_MAX_BODY_BYTES) {
      reader.cancel().catch(() => undefined);
      throw new UpstreamTransportError('bad-body', path, `body larger than ${DEFAULT_MAX_BODY_BYTES} bytes`, { httpStatus: response.status });
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

function parseBody(call: WeChatCall, status: number, contentType: string, text: string): Record<string, unknown> {
  const { path } = call;
  const type = contentType === '' ? 'no content-type' : contentType;
  if (text.trim() === '') throw new UpstreamTransportError('bad-body', path, `empty body (HTTP ${status}, ${type})`, { httpStatus: status });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // No cause: JSON.parse quotes the body, and an error page may echo the request URL with its secret.
    throw new UpstreamTransportError('bad-body', path, `body is not JSON (HTTP ${status}, ${type}, ${text.length} chars)`, { httpStatus: status });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UpstreamTransportError('bad-body', path, 'body is JSON but not an object', { httpStatus: status });
  }
  const body = parsed as Record<string, unknown>;
  if (!('errcode' in body) || body.errcode === 0) return body;
  if (typeof body.errcode !== 'number' || !Number.isSafeInteger(body.errcode)) {
    throw new UpstreamTransportError('bad-body', path, 'errcode is not an integer', { httpStatus: status });
  }
  const errmsg = typeof body.errmsg === 'string' ? redact(body.errmsg, call.secrets) : '';
  throw wechatError(body.errcode, errmsg, path, call.kind);
}

/** The media type alone (`text/html`), reduced to characters that cannot carry anything but a type. */
function mediaType(header: string | null): string {
  const type = (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(type) ? type.slice(0, 80) : '';
}
