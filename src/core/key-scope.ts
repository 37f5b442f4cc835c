import { InvalidRequestError } from '../errors/index.js';
import { WECOM_AGENT_PATTERN, WECOM_CORPID_PATTERN } from './principals.js';

/**
 * What a client key may reach (its scopes) and do (its capabilities), decided by pure functions the routes call.
 *
 * Scope syntax, one entry per principal or group of principals:
 *
 * | scope entry                          | covers                                                          |
 * |--------------------------------------|-----------------------------------------------------------------|
 * | `*`                                  | every resource of every type                                    |
 * | `wx0123456789abcdef`                 | that Official Account / Mini Program app (the 0.1.0 syntax)     |
 * | `wecom:<corpid>/<agent>`             | one WeCom app (its agentid, or the name of a named secret)      |
 * | `wecom:<corpid>/*`                   | every agent of the corp                                         |
 * | `component:<component_appid>`        | the Open Platform component's own credentials                   |
 * | `component:<component_appid>/<appid>`| one authorizer of the component                                 |
 * | `component:<component_appid>/*`      | the component and every authorizer of it, as a group            |
 *
 * A plain appid never covers an authorizer of the same appid: an authorizer's token is obtained through its
 * component, and a key for the app registered with its AppSecret is a different grant.
 */

/** A principal a route acts on. */
export type Resource =
  | { readonly type: 'app'; readonly appid: string }
  | { readonly type: 'wecom'; readonly corpid: string; readonly agentid: string }
  | { readonly type: 'component'; readonly componentAppid: string }
  | { readonly type: 'authorizer'; readonly componentAppid: string; readonly appid: string };

/**
 * What a key may do. `read-token`: receive a credential value (a token or a ticket), through any route, the
 * WeChat-compatible token endpoints and the passthrough included. `sign`: have the hub sign with a credential it
 * keeps (a JS-SDK config, a card signature) without seeing it. `login`: have the hub make a user-login call that
 * takes the AppSecret (jscode2session, the web OAuth code exchange) with the secret it keeps, never seeing it.
 */
export type KeyAction = 'read-token' | 'sign' | 'login';

/** Every action, in the order `key list` shows them. */
export const KEY_ACTIONS: readonly KeyAction[] = ['read-token', 'sign', 'login'];

/** The capabilities of a `--sign-only` key. */
export const SIGN_ONLY_CAPABILITIES: readonly KeyAction[] = ['sign'];

/** The capabilities of a `--login-only` key: user-login calls, nothing else (no token, no ticket, no signature). */
export const LOGIN_ONLY_CAPABILITIES: readonly KeyAction[] = ['login'];

/** An authenticated client key as routes see it. */
export interface ClientIdentity {
  readonly name: string;
  /** Scope entries, in the syntax above. */
  readonly scopes: readonly string[];
  /** The actions it may perform. */
  readonly capabilities: readonly KeyAction[];
}

const APPID = /^wx[0-9a-f]{16}$/;
const MAX_SCOPE_LENGTH = 80;

/** The `app` resource of an Official Account / Mini Program appid. */
export function appResource(appid: string): Resource {
  return { type: 'app', appid };
}

/** The canonical scope entry naming exactly `resource`. */
export function resourceName(resource: Resource): string {
  switch (resource.type) {
    case 'app':
      return resource.appid;
    case 'wecom':
      return `wecom:${resource.corpid}/${resource.agentid}`;
    case 'component':
      return `component:${resource.componentAppid}`;
    case 'authorizer':
      return `component:${resource.componentAppid}/${resource.appid}`;
  }
}

/** Whether one scope entry covers `resource`. */
export function scopeCovers(scope: string, resource: Resource): boolean {
  if (scope === '*') return true;
  switch (resource.type) {
    case 'app':
      return scope === resource.appid;
    case 'wecom':
      return scope === `wecom:${resource.corpid}/${resource.agentid}` || scope === `wecom:${resource.corpid}/*`;
    case 'component':
      return scope === `component:${resource.componentAppid}` || scope === `component:${resource.componentAppid}/*`;
    case 'authorizer':
      return scope === `component:${resource.componentAppid}/${resource.appid}` || scope === `component:${resource.componentAppid}/*`;
  }
}

/**
 * The one authorisation decision: whether `identity` may perform `action` on `resource`. `resource` null means
 * the request names no particular principal (the passthrough): only the capability is checked.
 */
export function keyAllows(identity: ClientIdentity, resource: Resource | null, action: KeyAction): boolean {
  if (!identity.capabilities.includes(action)) return false;
  if (resource === null) return true;
  for (const scope of identity.scopes) if (scopeCovers(scope, resource)) return true;
  return false;
}

/** Whether `text` is a well-formed scope entry (see the table above). */
export function isScope(text: string): boolean {
  if (text === '*' || APPID.test(text)) return true;
  if (text.length > MAX_SCOPE_LENGTH) return false;
  const wecom = /^wecom:([^/]+)\/([^/]+)$/.exec(text);
  if (wecom) return WECOM_CORPID_PATTERN.test(wecom[1]!) && (wecom[2] === '*' || WECOM_AGENT_PATTERN.test(wecom[2]!));
  const component = /^component:([^/]+)(?:\/([^/]+))?$/.exec(text);
  if (component) return APPID.test(component[1]!) && (component[2] === undefined || component[2] === '*' || APPID.test(component[2]));
  return false;
}

/** Validates scope entries for a new key, removing duplicates; InvalidRequestError names the first bad one. */
export function parseScopes(entries: readonly string[]): string[] {
  if (entries.length === 0) throw new InvalidRequestError('a key needs at least one scope (an appid, a resource, or "*" for all)');
  for (const entry of entries) {
    if (typeof entry !== 'string' || !isScope(entry)) {
      throw new InvalidRequestError(
        `invalid scope ${JSON.stringify(String(entry).slice(0, MAX_SCOPE_LENGTH))}: expected *, an appid (wx + 16 hex), ` +
          'wecom:<corpid>/<agent|*> or component:<component_appid>[/<appid|*>]',
      );
    }
  }
  return [...new Set(entries)];
}

/**
 * A stored capability list as actions: null (keys created before capabilities existed, and unrestricted keys) is
 * every action; unknown names (written by a newer wxtoken) grant nothing.
 */
export function capabilitiesFrom(stored: readonly string[] | null): readonly KeyAction[] {
  if (stored === null) return KEY_ACTIONS;
  return KEY_ACTIONS.filter((action) => stored.includes(action));
}
