/**
 * WeChat's request id, appended to every error message as ` rid: xxxxxxxx-xxxxxxxx-xxxxxxxx`. The first group is
 * the request's Unix time in hex (wechat-api.md §0.1, INFERENCE from rid/get); the other two are opaque, so random.
 */

/** A rid for a request answered at `nowMs`. */
export function newRid(nowMs: number, random: () => number): string {
  const seconds = Math.floor(nowMs / 1000);
  return `${hex8(seconds)}-${hex8(Math.floor(random() * 0x1_0000_0000))}-${hex8(Math.floor(random() * 0x1_0000_0000))}`;
}

/** Matches a whole rid and captures its first group. */
export const RID_PATTERN = /^([0-9a-f]{8})-[0-9a-f]{8}-[0-9a-f]{8}$/;

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}
