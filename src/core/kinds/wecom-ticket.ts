import type { WeComTicketType } from '../../wechat/index.js';
import type { CredentialFetcher } from '../token-fetcher.js';
import { budgetAllows, countCall, hourlyCountOf } from './hourly-budget.js';
import { StateChange, type CredentialKind } from './kind.js';
import { nextStickyRecord, stickyValueUntil } from './sticky-value.js';

/** WeCom's limit on ticket calls per app per hour (the corp's is 400; an app's 100 is the one a hub meets first). */
export const WECOM_TICKET_CALLS_PER_HOUR = 100;

/**
 * A WeCom JS-SDK ticket of an app, fetched with its access token: the corp ticket (`jsapi`, `get_jsapi_ticket`,
 * for `wx.config`) or the app's agent-config ticket (`ticket/get?type=agent_config`, for `wx.agentConfig`). Both are
 * sticky (the same ticket until it expires, sticky-value.ts), and every call counts against WeCom's hourly limit,
 * which this kind keeps fleet-wide in its state: past it, callers wait for the next hour instead of drawing 45009.
 */
export function wecomTicketKind(type: WeComTicketType, parent: CredentialKind, fetcher: CredentialFetcher, limitPerHour = WECOM_TICKET_CALLS_PER_HOUR): CredentialKind {
  return {
    name: `wecom_${type}_ticket`,
    principalType: parent.principalType,
    parent,
    eager: false,
    async obtain(request) {
      if (request.parentToken === undefined) throw new Error('a WeCom ticket is fetched with its app access token');
      const count = hourlyCountOf(request.record?.state);
      const allowed = budgetAllows(count, request.now(), limitPerHour);
      if (allowed !== true) return allowed;
      const budget = countCall(count, request.now());
      try {
        const ticket = await fetcher.fetchWeComTicket(request.parentToken, type);
        const next = nextStickyRecord({ ...request, returnedAt: request.now() }, ticket.ticket, ticket.expiresAt - request.startedAt);
        return { ...next, state: { ...next.state, budget } };
      } catch (err) {
        // A refused call still counts: WeCom counted it.
        throw new StateChange({ ...request.record?.state, budget }, err);
      }
    },
    stickyUntil: stickyValueUntil,
  };
}
