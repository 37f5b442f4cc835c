import { randomUUID } from 'node:crypto';
import type { PrincipalRecord, Store } from '../../stores/store.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import { PRIMARY_SECRET } from '../principals.js';
import type { ComponentFetcher } from '../token-fetcher.js';
import { componentAppidOf } from './ids.js';
import type { SecretReader } from './push-verifier.js';
import { needsStartPush, ticketHealth, type TicketHealth, type VerifyTickets } from './verify-ticket.js';

/** At most one api_start_push_ticket per component per this long, fleet-wide (§7.3 item 2: "at most once per 10 min"). */
export const DEFAULT_START_PUSH_INTERVAL_MS = 600_000;

/** What one check found for a component, and whether it asked WeChat to resume pushes. */
export interface TicketReport {
  readonly componentAppid: string;
  readonly health: TicketHealth;
  readonly startPush: boolean;
}

/**
 * Watches the verify tickets' age (verify-ticket.ts, ticketHealth): logs a late ticket, and for a missing or stale
 * one calls api_start_push_ticket, at most once per interval for the whole fleet (a store lease taken with a fresh
 * owner id, which no instance can take again until it expires).
 */
export class TicketWatch {
  readonly #hub: SecretReader;
  readonly #store: Store;
  readonly #fetcher: ComponentFetcher;
  readonly #tickets: VerifyTickets;
  readonly #o: { clock: Clock; logger: Logger; startPushIntervalMs: number };
  readonly #calls = new Map<string, number>();

  constructor(
    hub: SecretReader,
    store: Store,
    fetcher: ComponentFetcher,
    tickets: VerifyTickets,
    options: { clock: Clock; logger: Logger; startPushIntervalMs: number },
  ) {
    this.#hub = hub;
    this.#store = store;
    this.#fetcher = fetcher;
    this.#tickets = tickets;
    this.#o = options;
  }

  /** Checks each of `components`. */
  async check(components: readonly PrincipalRecord[]): Promise<TicketReport[]> {
    const report: TicketReport[] = [];
    for (const principal of components) {
      const componentAppid = componentAppidOf(principal);
      const ticket = await this.#tickets.latest(componentAppid);
      const health = ticketHealth(ticket ? this.#o.clock.now() - ticket.createdAt : undefined);
      let startPush = false;
      if (needsStartPush(health) && (await this.#store.acquireLease(`open-start-push:${componentAppid}`, randomUUID(), this.#o.startPushIntervalMs))) {
        startPush = true;
        this.#calls.set(componentAppid, (this.#calls.get(componentAppid) ?? 0) + 1);
        const secret = await this.#hub.principalSecret(principal.id, PRIMARY_SECRET);
        if (secret !== undefined) {
          await this.#fetcher
            .startPushTicket({ componentAppid, secret })
            .catch((err: unknown) => this.#o.logger.error({ component: componentAppid, err: String(err) }, 'api_start_push_ticket failed'));
        }
      }
      if (health !== 'fresh') {
        const level = health === 'late' ? 'warn' : 'error';
        this.#o.logger[level]({ component: componentAppid, health, startPush }, `verify ticket is ${health}`);
      }
      report.push({ componentAppid, health, startPush });
    }
    return report;
  }

  /** api_start_push_ticket calls this instance made for a component. */
  startPushCalls(componentAppid: string): number {
    return this.#calls.get(componentAppid) ?? 0;
  }
}
