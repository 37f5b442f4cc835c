import type { Clock } from '../../util/clock.js';
import type { TokenService } from '../../core/token-service.js';

/** Tokens remembered at once; the oldest is forgotten first (about 200 bytes each). */
export const ISSUED_TOKEN_MEMORY_SIZE = 4_096;

/** A token the hub handed out: whose it is and until when it is recognised. */
export interface IssuedTokenEntry {
  readonly appid: string;
  readonly until: number;
}

/**
 * Which app a token presented to the passthrough belongs to, when the hub issued it: the current token of an app
 * (TokenService.appOfToken), or one the hub handed out or saw as current earlier, for as long again as the hub
 * vouched for it (see remember). The second case matters after a rotation elsewhere and on another instance: an SDK still holds the
 * previous token, WeChat rejects it, and the hub must still recognise it as its own to replay the call with the
 * new one. Tokens the hub never issued are never recognised, so a request with a stranger's token is never given
 * the hub's. Bounded; entries past their window are ignored.
 */
export class IssuedTokens {
  readonly #service: TokenService;
  readonly #clock: Clock;
  readonly #entries = new Map<string, IssuedTokenEntry>();

  constructor(service: TokenService, clock: Clock) {
    this.#service = service;
    this.#clock = clock;
  }

  /**
   * Records a token handed out for `appid`, vouched for until `expiresAt` (epoch ms). It is recognised for as long
   * again after that: SDKs round the expiry they are given (to whole seconds, sometimes up) and some hold a token a
   * little past it; a call with such a token meets 42001, and the hub must still know it as its own to heal it.
   */
  remember(token: string, appid: string, expiresAt: number): void {
    const until = expiresAt + Math.max(0, expiresAt - this.#clock.now());
    const known = this.#entries.get(token);
    if (known && known.appid === appid) return;
    this.#entries.delete(token);
    if (this.#entries.size >= ISSUED_TOKEN_MEMORY_SIZE) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(token, { appid, until });
  }

  /** The app whose token `token` is (or recently was), if the hub issued it. */
  appOf(token: string): string | undefined {
    const current = this.#service.appOfToken?.(token);
    if (current !== undefined) {
      const held = this.#service.currentToken?.(current);
      if (held?.token === token) this.remember(token, current, held.expiresAt);
      return current;
    }
    const entry = this.#entries.get(token);
    return entry && this.#clock.now() < entry.until ? entry.appid : undefined;
  }
}
