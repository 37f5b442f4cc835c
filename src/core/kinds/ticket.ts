import type { TicketType } from '../../wechat/index.js';
import type { CredentialFetcher } from '../token-fetcher.js';
import type { CredentialKind } from './kind.js';
import { nextStickyRecord, stickyValueUntil } from './sticky-value.js';

/**
 * A JS-SDK (`jsapi`) or card (`wx_card`) ticket of an app, fetched with the app's access token.
 *
 * getticket returns the same ticket until it expires, always with `expires_in: 7200` (not the remaining life), so
 * expiry is computed from when the value first appeared: a value seen to replace a confirmed earlier one was issued
 * after that confirmation, and lives its nominal life from then. A value first seen with nothing before it (a cold
 * start, or a ticket someone else fetched) has an unknown age: it is vouched for one probe interval at a time and
 * confirmed again, until it is replaced and its successor's age is known (sticky-value.ts).
 */
export function ticketKind(type: TicketType, parent: CredentialKind, fetcher: CredentialFetcher): CredentialKind {
  return {
    name: `${type}_ticket`,
    principalType: parent.principalType,
    parent,
    eager: false,
    // As its parent: an authorizer's ticket refreshed while idle would keep its token refreshed too.
    ...(parent.idleAfterLifetimes !== undefined && { idleAfterLifetimes: parent.idleAfterLifetimes }),
    async obtain(request) {
      if (request.parentToken === undefined) throw new Error('a ticket is fetched with its app access token');
      const ticket = await fetcher.fetchTicket(request.parentToken, type);
      return nextStickyRecord({ ...request, returnedAt: request.now() }, ticket.ticket, ticket.expiresAt - request.startedAt);
    },
    stickyUntil: stickyValueUntil,
  };
}

