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

/** Builds the v1 token body. */
export function toTokenBody(issued: IssuedToken, now: number): TokenBody {
  return { access_token: issued.token, expires_in: secondsLeft(issued.expiresAt, now), expires_at: new Date(issued.expiresAt).toISOString() };
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
