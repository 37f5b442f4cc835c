import { createHash, hkdfSync } from 'node:crypto';

/** Name of the dashboard's session cookie. */
export const SESSION_COOKIE = 'wxtoken_session';
/** Name of the cookie holding the CSRF secret (@fastify/csrf-protection); the page sends tokens made from it. */
export const CSRF_COOKIE = 'wxtoken_csrf';
/** Both cookies are sent to the dashboard's paths only. */
export const COOKIE_PATH = '/dashboard';

/**
 * The key that signs dashboard cookies, derived from the admin key (HKDF-SHA-256): every instance of a fleet that
 * shares the admin key accepts a session signed by any of them, and rotating the admin key ends every session.
 * The admin key itself never leaves the server.
 */
export function cookieSigningKey(adminKey: string): string {
  return Buffer.from(hkdfSync('sha256', adminKey, 'wxtoken-dashboard', 'cookie-signing-key', 32)).toString('hex');
}

/** A session cookie's content before signing: when it expires, and a random id sign-out can revoke. */
export function sessionValue(expiresAt: number, id: string): string {
  return `v1.${expiresAt}.${id}`;
}

/**
 * The session in a (signature-checked) cookie value, or null when it is malformed, expired at `now`, or lasts
 * longer than `maxTtlMs` from now (which no cookie this hub signed does). Pure.
 */
export function parseSession(value: string, now: number, maxTtlMs: number): { expiresAt: number; id: string } | null {
  const match = /^v1\.(\d{1,15})\.([A-Za-z0-9_-]{16,64})$/.exec(value);
  if (!match) return null;
  const expiresAt = Number(match[1]);
  if (expiresAt <= now || expiresAt - now > maxTtlMs) return null;
  return { expiresAt, id: match[2]! };
}

/** Session ids signed out before their expiry, until then; bounded, oldest dropped first. */
export class RevokedSessions {
  readonly #until = new Map<string, number>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  /** Remembers `id` as signed out until `expiresAt`. */
  revoke(id: string, expiresAt: number, now: number): void {
    for (const [known, until] of this.#until) if (until <= now) this.#until.delete(known);
    if (this.#until.size >= this.#max) this.#until.delete(this.#until.keys().next().value!);
    this.#until.set(digest(id), expiresAt);
  }

  /** Whether `id` was signed out (and has not expired since). */
  has(id: string, now: number): boolean {
    const until = this.#until.get(digest(id));
    return until !== undefined && until > now;
  }
}

function digest(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}
