import { InvalidRequestError } from '../errors/index.js';
import type { Grant, PrincipalRecord, PrincipalType } from '../stores/store.js';

/**
 * Principals as the core sees them: who credentials belong to (store.ts, PrincipalRecord), with the helpers that
 * read a type's attributes and name a principal in messages. Ids by type:
 *   app          `wx` + 16 hex (the appid)
 *   wecom_agent  `wecom:<corpid>/<agentid or secret name>`
 *   component    `component:<component appid>`
 *   authorizer   `component:<component appid>/<authorizer appid>`
 * The forms match client-key scopes (key-scope.ts), so a key's scope names principals exactly.
 */

/** The name of a principal's primary secret (an AppSecret, a WeCom app secret, a component secret). */
export const PRIMARY_SECRET = 'secret';

/** Secrets are short (an AppSecret is 32 hex, a WeCom secret 43 characters); any printable string up to this. */
const MAX_SECRET_LENGTH = 256;

/** Checks a plaintext secret before it is sealed: printable ASCII without spaces, within MAX_SECRET_LENGTH. */
export function validateSecret(secret: unknown): void {
  if (typeof secret !== 'string' || !/^[\x21-\x7e]+$/.test(secret) || secret.length > MAX_SECRET_LENGTH) {
    throw new InvalidRequestError(`secret must be 1-${MAX_SECRET_LENGTH} printable ASCII characters without spaces`);
  }
}

/** A WeCom corpid: `ww` (older corps `wx`) + 16 hex, accepted loosely so a future format still parses. */
export const WECOM_CORPID_PATTERN = /^[A-Za-z0-9]{1,32}$/;
/**
 * A WeCom app within its corp: its agentid, or a name for a secret that belongs to no agent (`contacts` for the
 * contacts-sync secret, `externalcontact` for customer contact...).
 */
export const WECOM_AGENT_PATTERN = /^(?:[0-9]{1,10}|[a-z][a-z0-9_-]{0,31})$/;

/** The principal id of a WeCom app: `wecom:<corpid>/<agent>`. */
export function wecomAgentId(corpid: string, agent: string): string {
  return `wecom:${corpid}/${agent}`;
}

/** Checks a corpid and agent, naming the bad one in an InvalidRequestError. */
export function validateWecomAgent(corpid: string, agent: string): void {
  if (typeof corpid !== 'string' || !WECOM_CORPID_PATTERN.test(corpid)) {
    throw new InvalidRequestError(`invalid corpid ${JSON.stringify(String(corpid).slice(0, 40))}: expected 1-32 letters and digits (ww + 16 hex)`);
  }
  if (typeof agent !== 'string' || !WECOM_AGENT_PATTERN.test(agent)) {
    throw new InvalidRequestError(
      `invalid agent ${JSON.stringify(String(agent).slice(0, 40))}: expected an agentid (digits) or a secret name (lower-case letters, digits, _ or -)`,
    );
  }
}

/** The corpid and agent of a WeCom principal. */
export function wecomAgentOf(principal: PrincipalRecord): { corpid: string; agent: string } {
  return { corpid: String(principal.attributes.corpid), agent: String(principal.attributes.agent) };
}

/** The grant of an app principal; `classic` for a principal that names none. */
export function grantOf(principal: PrincipalRecord): Grant {
  return principal.attributes.grant === 'stable' ? 'stable' : 'classic';
}

/**
 * The context a principal's secret is sealed under (core/sealer.ts): bound to the principal, so a sealed secret
 * copied to another principal or name does not open. An app's AppSecret keeps the context 0.1.0 sealed it under,
 * its appid, so upgraded stores open without re-sealing.
 */
export function secretContext(id: string, name: string): string {
  return name === PRIMARY_SECRET ? id : `${id}#${name}`;
}

const TYPE_LABELS: Readonly<Record<PrincipalType, string>> = {
  app: 'app',
  wecom_agent: 'WeCom app',
  component: 'component',
  authorizer: 'authorizer',
};

/**
 * How messages name a principal: `app wx…`, `WeCom app wecom:ww…/1000002`, `component wx…`, `authorizer wx… of
 * component wx…` (the Open Platform's ids, `component:<c>[/<a>]`, read as the appids they are made of).
 */
export function principalLabel(principal: Pick<PrincipalRecord, 'id' | 'type'>): string {
  const open = /^component:([^/]+)(?:\/(.+))?$/.exec(principal.id);
  if (open && principal.type === 'component') return `component ${open[1]!}`;
  if (open?.[2] !== undefined && principal.type === 'authorizer') return `authorizer ${open[2]} of component ${open[1]!}`;
  return `${TYPE_LABELS[principal.type]} ${principal.id}`;
}

/** Whether two reads of a principal hold the same record (every field; attributes and secrets are flat). */
export function samePrincipal(a: PrincipalRecord, b: PrincipalRecord): boolean {
  return (
    a.id === b.id &&
    a.type === b.type &&
    a.createdAt === b.createdAt &&
    a.updatedAt === b.updatedAt &&
    sameFlat(a.attributes, b.attributes) &&
    sameFlat(a.secrets, b.secrets)
  );
}

function sameFlat(a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

/**
 * Whether a principal's credentials are served and refreshed: not when it is marked inactive (attribute `status`
 * other than `active`: an Open Platform authorizer revoked, frozen or awaiting re-authorization). Then every
 * instance drops what it holds of them when it sees the principal, rather than serve a token of a revoked account.
 */
export function isServed(principal: Pick<PrincipalRecord, 'attributes'>): boolean {
  const status = principal.attributes.status;
  return status === undefined || status === 'active';
}
