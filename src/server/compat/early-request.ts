/** What an address was last handed for an app by a compatible token endpoint. */
export interface HandOut {
  readonly token: string;
  readonly at: number;
  /** The expiry the hand-out told the SDK (epoch ms). */
  readonly until: number;
}

/**
 * The share of the handed-out life before which coming back for the same token counts as early. SDKs refetch
 * a margin before the end (10 s to 1,500 s of 7,200 s); one that comes back in the first half did not do so
 * because its token was running out, but most likely because WeChat rejected it.
 */
export const EARLY_SHARE = 0.5;

/**
 * Whether a token request from an address is an early re-request: the same token was handed to the same address
 * and less than EARLY_SHARE of the life it was given has passed. A new process on a host that already holds the
 * token looks the same; that costs at most one verification per interval (compat/token-verifier.ts).
 */
export function isEarlyRerequest(previous: HandOut | undefined, token: string, now: number): boolean {
  if (previous === undefined || previous.token !== token) return false;
  return now < previous.at + (previous.until - previous.at) * EARLY_SHARE;
}
