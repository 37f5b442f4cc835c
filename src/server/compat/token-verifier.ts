import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../../util/clock.js';
import type { IssuedToken, TokenService } from '../../core/token-service.js';
import { SingleFlight } from '../../core/single-flight.js';
import { tokenRejectionErrcode } from '../upstream/token-rejection.js';
import { isEarlyRerequest, type HandOut } from './early-request.js';

/**
 * The verification call: `getcallbackip` is callable by every account type, takes only the token and changes
 * nothing (wechat-api.md §9.2, the probe §9 recommends).
 */
export const TOKEN_CHECK_PATH = '/cgi-bin/getcallbackip';

/**
 * At most one verification call per app this often (default of the `tokenCheckIntervalMs` server option): a
 * token killed elsewhere is found within seconds of the first SDK coming back for it, and the cost is bounded
 * by 8,640 calls per app per day even if SDKs come back early all day (in practice a few a day: only early
 * re-requests trigger one).
 */
export const DEFAULT_TOKEN_CHECK_INTERVAL_MS = 10_000;

/** Hand-outs remembered at once (about 150 bytes each); the oldest is forgotten first. */
export const HAND_OUT_MEMORY_SIZE = 10_000;

/** What the verifier needs. */
export interface TokenVerifierOptions {
  readonly upstreamBaseUrl: string;
  readonly fetch: typeof fetch;
  readonly clock: Clock;
  readonly timeoutMs: number;
  /** At most one verification per app this often; 0 disables verification. */
  readonly intervalMs: number;
  readonly service: TokenService;
}

/**
 * Lets the hub learn that the token it is about to hand out to an SDK is dead, for SDKs that take the token from
 * the compatible endpoints but call WeChat directly (the passthrough cannot see their rejections). Such an SDK
 * comes back early after WeChat rejects its token; an early re-request (compat/early-request.ts) triggers one
 * cheap verification call to WeChat with the token (TOKEN_CHECK_PATH), single-flight per app and at most once per
 * interval; if WeChat rejects it, the hub invalidates it by comparison and hands out the replacement. Requests
 * that are not early, and early ones within the interval after a verification, cost nothing.
 */
export class TokenVerifier {
  readonly #o: TokenVerifierOptions;
  readonly #handOuts = new Map<string, HandOut>();
  readonly #lastCheck = new Map<string, number>();
  readonly #flights = new SingleFlight<string, IssuedToken>();

  constructor(options: TokenVerifierOptions) {
    this.#o = options;
  }

  /**
   * The token to hand `address` for `appid`: `issued`, or its replacement when this is an early re-request and
   * WeChat turns out to have rejected it. `until` is the expiry the hand-out will announce.
   */
  async check(appid: string, issued: IssuedToken, until: number, address: string, log: FastifyBaseLogger): Promise<IssuedToken> {
    const now = this.#o.clock.now();
    const key = `${appid} ${address}`;
    const early = isEarlyRerequest(this.#handOuts.get(key), issued.token, now);
    this.#remember(key, { token: issued.token, at: now, until });
    if (!early || this.#o.intervalMs === 0) return issued;
    const last = this.#lastCheck.get(appid);
    if (!this.#flights.has(appid) && last !== undefined && now - last < this.#o.intervalMs) return issued;
    return this.#flights.run(appid, () => this.#verify(appid, issued, log)).promise;
  }

  async #verify(appid: string, issued: IssuedToken, log: FastifyBaseLogger): Promise<IssuedToken> {
    this.#lastCheck.set(appid, this.#o.clock.now());
    const controller = new AbortController();
    const cancel = this.#o.clock.setTimer(() => controller.abort(), this.#o.timeoutMs);
    let errcode: number | undefined;
    try {
      const url = `${this.#o.upstreamBaseUrl}${TOKEN_CHECK_PATH}?access_token=${encodeURIComponent(issued.token)}`;
      const res = await this.#o.fetch(url, { signal: controller.signal, redirect: 'manual' });
      errcode = tokenRejectionErrcode(Buffer.from(await res.arrayBuffer()));
    } catch (err) {
      // Unverified is not dead: hand out the token as before.
      log.warn({ appid, err: err instanceof Error ? err.name : typeof err }, 'could not verify a token before handing it out again');
      return issued;
    } finally {
      cancel();
    }
    if (errcode === undefined) return issued;
    log.info({ appid, errcode }, 'WeChat rejected the token an SDK came back early for: invalidating it');
    return this.#o.service.invalidate(appid, issued.token);
  }

  #remember(key: string, handOut: HandOut): void {
    this.#handOuts.delete(key);
    if (this.#handOuts.size >= HAND_OUT_MEMORY_SIZE) {
      const oldest = this.#handOuts.keys().next().value;
      if (oldest !== undefined) this.#handOuts.delete(oldest);
    }
    this.#handOuts.set(key, handOut);
  }
}
