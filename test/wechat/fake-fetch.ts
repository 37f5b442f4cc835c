/** A fetch double for the WeChat client's unit tests: records each request and answers from a script. */

/** One request as the client sent it. */
export interface RecordedRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Headers;
  readonly body: string | undefined;
  readonly signal: AbortSignal | undefined;
  readonly redirect: RequestInit['redirect'];
}

/** Produces the answer to one request (or throws / never settles, like a broken network). */
export type Responder = (request: RecordedRequest) => Response | Promise<Response>;

/** A fake fetch and the requests it received. */
export interface FakeFetch {
  readonly fetch: typeof fetch;
  readonly calls: RecordedRequest[];
}

/** Builds a fake fetch that answers every request with `respond`. */
export function fakeFetch(respond: Responder): FakeFetch {
  const calls: RecordedRequest[] = [];
  const fetchImpl = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const request: RecordedRequest = {
      method: init.method ?? 'GET',
      url: new URL(input instanceof Request ? input.url : String(input)),
      headers: new Headers(init.headers),
      body: typeof init.body === 'string' ? init.body : undefined,
      signal: init.signal ?? undefined,
      redirect: init.redirect,
    };
    calls.push(request);
    return respond(request);
  };
  return { fetch: fetchImpl as typeof fetch, calls };
}

/** A JSON answer, HTTP 200 unless told otherwise. */
export function jsonResponse(body: unknown, status = 200, contentType = 'application/json; charset=utf-8'): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': contentType } });
}

/** A raw text answer. */
export function textResponse(text: string, status = 200, contentType = 'text/plain'): Response {
  return new Response(text, { status, headers: { 'content-type': contentType } });
}

/** A responder that never answers until the request's signal aborts, then rejects as undici does. */
export function untilAborted(request: RecordedRequest): Promise<Response> {
  return new Promise((_, reject) => {
    const signal = request.signal;
    if (!signal) return;
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/** Rejects the way undici's fetch does on a connection reset, with the full URL (and its secrets) in the texts. */
export function connectionReset(request: RecordedRequest): Promise<Response> {
  const socketError = Object.assign(new Error(`read ECONNRESET while requesting ${request.url.href}`), {
    code: 'ECONNRESET',
    errno: -104,
    syscall: 'read',
    url: request.url.href,
  });
  return Promise.reject(new TypeError(`fetch failed for ${request.url.href} body=${request.body ?? ''}`, { cause: socketError }));
}
