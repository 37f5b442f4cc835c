import type { IssuedToken } from '../core/token-service.js';

/** The token as the v1 API returns it. */
export interface TokenBody {
  access_token: string;
  /** Whole seconds the caller may still use the token: floor((expiresAt - now) / 1000), never negative. */
  expires_in: number;
  /** Absolute expiry, ISO-8601 UTC. */
  expires_at: string;
}

/** Whole seconds left before `expiresAt`, never negative. */
export function secondsLeft(expiresAt: number, now: number): number {
  return expiresAt > now ? Math.floor((expiresAt - now) / 1000) : 0;
}

/** Distinct expiry times remembered by ExpiryFormatter; a few per app is plenty, the bound stops a slow leak. */
export const EXPIRY_FORMAT_CACHE_SIZE = 4096;

/**
 * Formats expiry times as ISO strings, remembering recent ones: every read of a token shares its expiry, and
 * `toISOString` is a measurable share of the hot path's cost.
 */
export class ExpiryFormatter {
  readonly #cache = new Map<number, string>();

  iso(expiresAt: number): string {
    let text = this.#cache.get(expiresAt);
    if (text === undefined) {
      if (this.#cache.size >= EXPIRY_FORMAT_CACHE_SIZE) this.#cache.clear();
      text = new Date(expiresAt).toISOString();
      this.#cache.set(expiresAt, text);
    }
    return text;
  }

  /** The v1 token body for an issued token at time `now`. */
  body(issued: IssuedToken, now: number): TokenBody {
    return { access_token: issued.token, expires_in: secondsLeft(issued.expiresAt, now), expires_at: this.iso(issued.expiresAt) };
  }

  #lastIssued: IssuedToken | undefined;
  #lastSeconds = -1;
  #lastJson = '';

  /**
   * The v1 body already serialised. It changes only when the token or the whole seconds left change, so the hot
   * path reuses the last string (one app's readers dominate any moment) instead of serialising per request.
   */
  json(issued: IssuedToken, now: number): string {
    const seconds = secondsLeft(issued.expiresAt, now);
    if (issued !== this.#lastIssued || seconds !== this.#lastSeconds) {
      this.#lastIssued = issued;
      this.#lastSeconds = seconds;
      this.#lastJson = JSON.stringify({ access_token: issued.token, expires_in: seconds, expires_at: this.iso(issued.expiresAt) });
    }
    return this.#lastJson;
  }
}

/** fast-json-stringify schema of TokenBody: a response schema is both the contract and the fast serializer. */
export const tokenBodySchema = {
  type: 'object',
  required: ['access_token', 'expires_in', 'expires_at'],
  properties: {
    access_token: { type: 'string' },
    expires_in: { type: 'integer' },
    expires_at: { type: 'string' },
  },
  additionalProperties: false,
} as const;
