import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../../util/clock.js';
import type { IssuedToken, TokenService } from '../../core/token-service.js';
import { readPrefix, resume, type BodyPrefix } from './body-prefix.js';
import { ACCESS_TOKEN_PARAMETER, withQueryValue } from './query-token.js';
import { tokenRejectionErrcode } from './token-rejection.js';

/**
 * How much of WeChat's answer is read before deciding whether it rejected the token. WeChat's error bodies are
 * well under 1 KiB; anything longer is a real answer (a media file, a long list) and is streamed on untouched.
 */
export const RESPONSE_INSPECT_LIMIT_BYTES = 64 * 1024;

/** How the forwarder reaches WeChat. */
export interface ForwarderOptions {
  /** WeChat's base URL: where a call goes unless it names another (ForwardCall.upstreamBaseUrl). */
  readonly upstreamBaseUrl: string;
  readonly fetch: typeof fetch;
  readonly clock: Clock;
  /**
   * Bounds both waits: from sending the request (its body included) until WeChat's response headers, and any
   * pause between two chunks of WeChat's response body.
   */
  readonly timeoutMs: number;
  /** Request bodies up to this size are held so the call can be replayed; larger ones are streamed, never held. */
  readonly replayBodyLimitBytes: number;
  /** Request bodies over this size are refused (413), however they arrive. */
  readonly bodyLimitBytes: number;
  /** Invalidates rejected tokens by comparison (one refresh however many requests report the same token). */
  readonly service: TokenService;
}

/** A token the hub issued, carried by a forwarded call: its rejection is healed. */
export interface HealableToken {
  /** Whose token it is: the appid, or `wecom:{corpid}/{agent}` for a WeCom app (also what the logs name). */
  readonly appid: string;
  readonly value: string;
  /**
   * Reports `value` rejected (invalidate by comparison) and resolves to the current token. Default: the WeChat
   * app's, TokenService.invalidate(appid, value). A WeCom token passes its app's (WeComService.invalidate).
   */
  readonly invalidate?: () => Promise<IssuedToken>;
}

/** One call to forward. */
export interface ForwardCall {
  readonly method: string;
  /** The resolved path (see compat/passthrough-path.ts). */
  readonly path: string;
  /** The raw query with its `?` (or ''), already carrying the token of the first attempt. */
  readonly search: string;
  /** Where this call goes, when not to WeChat (a call with a WeCom token goes to WeCom's host); default: ForwarderOptions.upstreamBaseUrl. */
  readonly upstreamBaseUrl?: string | undefined;
  readonly contentType: string | undefined;
  /** The request body as it arrives; undefined when there is none. */
  readonly body: AsyncIterable<Uint8Array> | undefined;
  /** The request's Content-Length, if it sent one: a body declared too large is refused before anything is sent. */
  readonly declaredLength?: number;
  /**
   * The token the call carries in `access_token`, when the hub issued it, and its app: a rejection of it is
   * healed. null: the call is forwarded and its answer returned, nothing more.
   */
  readonly token: HealableToken | null;
}

/** The response headers passed back to the caller (WeChat's media downloads name the file in content-disposition). */
export interface ForwardedHeaders {
  readonly 'content-type'?: string;
  readonly 'content-length'?: string;
  readonly 'content-disposition'?: string;
  readonly location?: string;
}

/** What became of a forwarded call. */
export type ForwardOutcome =
  | {
      readonly kind: 'answer';
      readonly status: number;
      readonly headers: ForwardedHeaders;
      /** A complete small body, or the stream of a large one. */
      readonly body: Buffer | AsyncIterable<Buffer>;
      /**
       * `replayed`: WeChat rejected the token, the hub invalidated it and this is the answer to the replay;
       * `invalidated`: rejected and invalidated, but not replayed (a streamed upload, or no newer token), so this is
       * WeChat's rejection and the caller's own retry will get the new token; null: nothing was rejected.
       */
      readonly healed: 'replayed' | 'invalidated' | null;
    }
  | { readonly kind: 'unreachable'; readonly why: 'timeout' | 'network' }
  | { readonly kind: 'too-large' };

// Methods that never carry a body; fetch refuses one on them.
const BODYLESS = new Set(['GET', 'HEAD']);

const PASSED_HEADERS = ['content-type', 'content-length', 'content-disposition', 'location'] as const;

type Answer = ForwardOutcome & { readonly kind: 'answer' };
/** One attempt's result: an answer with the errcode of a token rejection, if it was one, or a failure. */
type Attempt = (Answer & { readonly errcode: number | undefined }) | Exclude<ForwardOutcome, Answer>;

/** Thrown into the upload stream when it crosses the body limit; recognised in the fetch failure. */
class BodyLimitExceeded extends Error {}

/**
 * Forwards a call to WeChat, streaming bodies both ways, and heals a token rejection: when WeChat answers 40001,
 * 40014 or 42001 to a call carrying a token the hub issued, the hub reports that token (invalidate by comparison:
 * one refresh however many calls report it) and replays the call once with the current token. These errcodes mean
 * WeChat did not execute the call, so one replay is safe; a replay is never replayed again. A request body larger
 * than replayBodyLimitBytes is streamed and cannot be replayed: the token is still invalidated, and the rejection
 * goes back to the caller, whose own retry gets the new token. Nothing here logs a query (it holds the token).
 */
export class HealingForwarder {
  readonly #o: ForwarderOptions;

  constructor(options: ForwarderOptions) {
    this.#o = options;
  }

  /** The largest request body forwarded (413 beyond it). */
  get bodyLimitBytes(): number {
    return this.#o.bodyLimitBytes;
  }

  /** Forwards `call` (see the class comment); never throws for upstream failures, which are outcomes. */
  async forward(call: ForwardCall, log: FastifyBaseLogger): Promise<ForwardOutcome> {
    let body: Buffer | BodyPrefix | undefined;
    if (call.body !== undefined && !BODYLESS.has(call.method)) {
      if (call.declaredLength !== undefined && call.declaredLength > this.#o.bodyLimitBytes) return { kind: 'too-large' };
      const prefix = await readPrefix(call.body, Math.min(this.#o.replayBodyLimitBytes, this.#o.bodyLimitBytes));
      if (prefix.bytes > this.#o.bodyLimitBytes) return { kind: 'too-large' };
      body = prefix.complete ? Buffer.concat(prefix.chunks as Buffer[], prefix.bytes) : prefix;
    }
    const first = await this.#attempt(call, call.search, body);
    if (first.kind !== 'answer') return first;
    if (first.errcode === undefined || call.token === null) return strip(first);

    const { appid, value } = call.token;
    let current: string;
    try {
      current = (await (call.token.invalidate?.() ?? this.#o.service.invalidate(appid, value))).token;
    } catch (err) {
      // Throttled, or no new token to be had: WeChat's rejection goes back as it came.
      log.warn({ appid, path: call.path, errcode: first.errcode, err: errorName(err) }, 'WeChat rejected a hub token and the hub could not replace it');
      return strip(first);
    }
    const replayable = body === undefined || Buffer.isBuffer(body);
    if (!replayable || current === value) {
      log.info({ appid, path: call.path, errcode: first.errcode, replayable }, 'WeChat rejected a hub token: invalidated, not replayed');
      return { ...strip(first), healed: 'invalidated' };
    }
    log.info({ appid, path: call.path, errcode: first.errcode }, 'WeChat rejected a hub token: invalidated and replayed once');
    const replay = await this.#attempt(call, withQueryValue(call.search, ACCESS_TOKEN_PARAMETER, current), body);
    return replay.kind === 'answer' ? { ...strip(replay), healed: 'replayed' } : replay;
  }

  async #attempt(
    call: ForwardCall,
    search: string,
    body: Buffer | BodyPrefix | undefined,
  ): Promise<Attempt> {
    const { clock, timeoutMs, bodyLimitBytes } = this.#o;
    const headers: Record<string, string> = {};
    if (call.contentType !== undefined) headers['content-type'] = call.contentType;
    const controller = new AbortController();
    const init: RequestInit & { duplex?: 'half' } = { method: call.method, headers, redirect: 'manual', signal: controller.signal };
    let overLimit = false;
    if (Buffer.isBuffer(body)) {
      init.body = body;
    } else if (body !== undefined) {
      let sent = body.bytes;
      init.body = resume(body, (chunk) => {
        sent += chunk.length;
        if (sent > bodyLimitBytes) {
          overLimit = true;
          throw new BodyLimitExceeded();
        }
      }) as unknown as RequestInit['body'];
      init.duplex = 'half';
    }

    let timedOut = false;
    let cancelTimer = clock.setTimer(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const idle = (): void => {
      cancelTimer();
      cancelTimer = clock.setTimer(() => {
        timedOut = true;
        controller.abort();
      }, timeoutMs);
    };
    try {
      const res = await this.#o.fetch((call.upstreamBaseUrl ?? this.#o.upstreamBaseUrl) + call.path + search, init);
      idle();
      const passed: Record<string, string> = {};
      for (const name of PASSED_HEADERS) {
        const value = res.headers.get(name);
        if (value !== null) passed[name] = value;
      }
      // fetch decodes a compressed body, so WeChat's length (of the encoded bytes) would be wrong for it.
      if (res.headers.has('content-encoding')) delete passed['content-length'];
      if (res.body === null) {
        cancelTimer();
        return { kind: 'answer', status: res.status, headers: passed, body: Buffer.alloc(0), healed: null, errcode: undefined };
      }
      const prefix = await readPrefix(res.body as AsyncIterable<Uint8Array>, RESPONSE_INSPECT_LIMIT_BYTES);
      if (prefix.complete) {
        cancelTimer();
        const whole = Buffer.concat(prefix.chunks as Buffer[], prefix.bytes);
        return { kind: 'answer', status: res.status, headers: passed, body: whole, healed: null, errcode: tokenRejectionErrcode(whole) };
      }
      idle();
      const stream = (async function* (): AsyncGenerator<Buffer> {
        try {
          yield* resume(prefix, idle);
        } finally {
          cancelTimer();
          // A caller that went away stops the download from WeChat too.
          controller.abort();
        }
      })();
      return { kind: 'answer', status: res.status, headers: passed, body: stream, healed: null, errcode: undefined };
    } catch (err) {
      cancelTimer();
      if (overLimit || err instanceof BodyLimitExceeded) return { kind: 'too-large' };
      return { kind: 'unreachable', why: timedOut ? 'timeout' : 'network' };
    }
  }
}

/** The outcome without the attempt's internal errcode. */
function strip(attempt: Attempt & { readonly kind: 'answer' }): Answer {
  const { errcode: _errcode, ...rest } = attempt;
  return rest;
}

function errorName(err: unknown): string {
  return err instanceof Error ? ((err as { code?: unknown }).code as string | undefined) ?? err.name : typeof err;
}
