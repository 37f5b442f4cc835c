/** Credential-issuing endpoints as counters name them. */
export const FETCH_KINDS = [
  'classic',
  'stableNormal',
  'stableForce',
  'wecom',
  'jsapiTicket',
  'wxCardTicket',
  'corpJsapiTicket',
  'agentConfigTicket',
] as const;

/** One of FETCH_KINDS. */
export type FetchKind = (typeof FETCH_KINDS)[number];

/** The WeChat path each fetch kind is served on; counters are also shown summed per path. */
export const FETCH_KIND_PATHS: Readonly<Record<FetchKind, string>> = {
  classic: '/cgi-bin/token',
  stableNormal: '/cgi-bin/stable_token',
  stableForce: '/cgi-bin/stable_token',
  wecom: '/cgi-bin/gettoken',
  jsapiTicket: '/cgi-bin/ticket/getticket',
  wxCardTicket: '/cgi-bin/ticket/getticket',
  corpJsapiTicket: '/cgi-bin/get_jsapi_ticket',
  agentConfigTicket: '/cgi-bin/ticket/get',
};

/** Requests, fetches and rotations of one endpoint. */
export interface EndpointCounts {
  readonly requests: number;
  readonly fetches: number;
  readonly rotations: number;
}

/** A per-app (or per-corp) snapshot of what clients did, for tests to assert on. */
export interface CountersSnapshot {
  /** Every request to a credential endpoint that named this app, including errors and injected faults. */
  readonly requests: Record<FetchKind, number>;
  /** Requests answered with a credential. */
  readonly fetches: Record<FetchKind, number>;
  /** Successful fetches that issued a new credential (the ones that supersede another). */
  readonly rotations: Record<FetchKind, number>;
  /** The same counts summed per WeChat path (e.g. `/cgi-bin/ticket/getticket` = jsapi + wx_card). */
  readonly endpoints: Record<string, EndpointCounts>;
  /** Business calls whose token belongs to this app, by outcome: `ok` or the errcode. */
  readonly businessCalls: Record<string, number>;
  /** Most credential-endpoint requests for this app in flight at once (needs latency to be meaningful). */
  readonly maxConcurrentTokenFetches: number;
  /** Credential-endpoint requests for this app in flight now. */
  readonly inFlightTokenFetches: number;
}

function zeroes(): Record<FetchKind, number> {
  return Object.fromEntries(FETCH_KINDS.map((k) => [k, 0])) as Record<FetchKind, number>;
}

/** Mutable counters behind CountersSnapshot. */
export class OwnerCounters {
  #requests = zeroes();
  #fetches = zeroes();
  #rotations = zeroes();
  #business = new Map<string, number>();
  #maxConcurrent = 0;
  #inFlight = 0;

  /** Counts a request that named this owner and marks it in flight; the returned function ends it (idempotent). */
  begin(kind: FetchKind): () => void {
    this.#requests[kind] += 1;
    this.#inFlight += 1;
    this.#maxConcurrent = Math.max(this.#maxConcurrent, this.#inFlight);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.#inFlight -= 1;
    };
  }

  /** Counts a request answered with a credential; `rotated` when it was a new one. */
  fetched(kind: FetchKind, rotated: boolean): void {
    this.#fetches[kind] += 1;
    if (rotated) this.#rotations[kind] += 1;
  }

  /** Counts a business call by outcome. */
  business(outcome: 'ok' | number): void {
    const key = String(outcome);
    this.#business.set(key, (this.#business.get(key) ?? 0) + 1);
  }

  /** Zeroes everything except requests still in flight. */
  reset(): void {
    this.#requests = zeroes();
    this.#fetches = zeroes();
    this.#rotations = zeroes();
    this.#business.clear();
    this.#maxConcurrent = this.#inFlight;
  }

  /** A copy safe to hand out. */
  snapshot(): CountersSnapshot {
    return {
      requests: { ...this.#requests },
      fetches: { ...this.#fetches },
      rotations: { ...this.#rotations },
      endpoints: perEndpoint(this.#requests, this.#fetches, this.#rotations),
      businessCalls: Object.fromEntries(this.#business),
      maxConcurrentTokenFetches: this.#maxConcurrent,
      inFlightTokenFetches: this.#inFlight,
    };
  }
}

function perEndpoint(requests: Record<FetchKind, number>, fetches: Record<FetchKind, number>, rotations: Record<FetchKind, number>): Record<string, EndpointCounts> {
  const out: Record<string, { requests: number; fetches: number; rotations: number }> = {};
  for (const kind of FETCH_KINDS) {
    const entry = (out[FETCH_KIND_PATHS[kind]] ??= { requests: 0, fetches: 0, rotations: 0 });
    entry.requests += requests[kind];
    entry.fetches += fetches[kind];
    entry.rotations += rotations[kind];
  }
  return out;
}
