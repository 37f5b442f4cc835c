import { InvalidRequestError } from '../../errors/index.js';
import type { PrincipalRecord } from '../../stores/store.js';

/**
 * Principal ids of the Open Platform (core/principals.ts, key-scope.ts): a component is `component:<appid>`, an
 * authorizer `component:<component appid>/<authorizer appid>`. Both appids are `wx` + 16 hex.
 */

const APPID = /^wx[0-9a-f]{16}$/;

/** Checks an appid (component or authorizer), naming the bad value. */
export function validateOpenAppid(what: string, appid: unknown): asserts appid is string {
  if (typeof appid !== 'string' || !APPID.test(appid)) {
    throw new InvalidRequestError(`invalid ${what} ${JSON.stringify(String(appid).slice(0, 40))}: expected wx + 16 hex digits`);
  }
}

/** The principal id of a component. */
export function componentId(componentAppid: string): string {
  return `component:${componentAppid}`;
}

/** The principal id of an authorizer of a component. */
export function authorizerId(componentAppid: string, authorizerAppid: string): string {
  return `component:${componentAppid}/${authorizerAppid}`;
}

/** The component and authorizer appids of an authorizer principal. */
export function authorizerOf(principal: Pick<PrincipalRecord, 'attributes'>): { componentAppid: string; authorizerAppid: string } {
  return { componentAppid: String(principal.attributes.component), authorizerAppid: String(principal.attributes.appid) };
}

/** The component appid of a component principal. */
export function componentAppidOf(principal: Pick<PrincipalRecord, 'attributes'>): string {
  return String(principal.attributes.appid);
}

/** Secret names of a component principal: the component secret is the primary `secret`. */
export const MESSAGE_TOKEN_SECRET = 'message_token';
export const AES_KEY_SECRET = 'aes_key';
/** Secret names of an authorizer principal. */
export const REFRESH_TOKEN_SECRET = 'refresh_token';
export const REFRESH_HISTORY_SECRET = 'refresh_history';

/** An authorizer's status attribute (`active` when absent: principals written before statuses were recorded). */
export function statusOf(principal: Pick<PrincipalRecord, 'attributes'>): string {
  return String(principal.attributes.status ?? 'active');
}
