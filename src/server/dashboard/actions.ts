import type { TokenService } from '../../core/token-service.js';

/** What an operator may do with a credential of one kind, by the principal it belongs to. */
export interface KindActions {
  /** Obtain a new value now, whatever the schedule says. */
  readonly refresh?: (service: TokenService, principal: string) => Promise<unknown>;
}

/**
 * The dashboard's actions per credential kind: the one place that says which kinds support what. The page shows
 * the buttons a row lists, so a kind gains an action by an entry here, never by a case in the page. Tickets have
 * no forced refresh: WeChat hands out the same ticket until it expires (docs/design.md#tickets).
 */
export const KIND_ACTIONS: Readonly<Record<string, KindActions>> = {
  access_token: { refresh: (service, principal) => service.refresh(principal) },
};

/** The action names a kind supports, as the rows list them. */
export function actionsOf(kind: string): readonly string[] {
  // hasOwn: a kind named like an Object.prototype member ("constructor") has no actions.
  return Object.hasOwn(KIND_ACTIONS, kind) ? Object.keys(KIND_ACTIONS[kind]!) : [];
}

/** The refresh action of a kind, if it has one. */
export function refreshActionOf(kind: string): KindActions['refresh'] {
  return Object.hasOwn(KIND_ACTIONS, kind) ? KIND_ACTIONS[kind]!.refresh : undefined;
}
