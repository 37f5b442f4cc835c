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

/** An Official Account / Mini Program app as a principal of type `app`. */
export function appPrincipal(input: { appid: string; grant: Grant; sealedSecret: string; createdAt: number; updatedAt: number }): PrincipalRecord {
  return {
    id: input.appid,
    type: 'app',
    attributes: { grant: input.grant },
    secrets: { [PRIMARY_SECRET]: input.sealedSecret },
    createdAt: input.createdAt,
    updatedAt: input.updatedAt,
  };
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

/** How messages name a principal: `app wx…`, `WeCom app wecom:ww…/1000002`. */
export function principalLabel(principal: Pick<PrincipalRecord, 'id' | 'type'>): string {
  return `${TYPE_LABELS[principal.type]} ${principal.id}`;
}
