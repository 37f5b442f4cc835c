/**
 * The one definition of what the simulator's access tokens and tickets look like, so "malformed" (40014) is
 * decidable: a token is two decimal digits, an underscore and base64url characters, like real ones (`74_zXWe…`,
 * wechat-api.md §0.2). Anything else presented as an access token is malformed.
 */

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Length of the random part of an access token; with the prefix a token is 99 characters, far under 512. */
export const TOKEN_BODY_LENGTH = 96;
/** Length of a ticket (real jsapi tickets are 86 base64url characters, §6.1). */
export const TICKET_LENGTH = 86;
/** The simulator's access-token shape; tokens may reach 512 characters (§0), ours are shorter. */
export const TOKEN_PATTERN = /^\d{2}_[A-Za-z0-9_-]{64,509}$/;

/** A new access token drawn from `random`. */
export function newAccessToken(random: () => number): string {
  const prefix = String(10 + Math.floor(random() * 90));
  return `${prefix}_${randomBase64url(random, TOKEN_BODY_LENGTH)}`;
}

/** A new jsapi / wx_card / agent_config ticket drawn from `random`. */
export function newTicket(random: () => number): string {
  return randomBase64url(random, TICKET_LENGTH);
}

/** Whether `value` has the simulator's token shape (a token that is not is answered 40014). */
export function isWellFormedToken(value: string): boolean {
  return TOKEN_PATTERN.test(value);
}

function randomBase64url(random: () => number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += BASE64URL[Math.floor(random() * 64) % 64];
  return out;
}
