import { UpstreamUnavailableError, WeChatError } from '../../errors/index.js';
import { componentAppidOf } from '../open-platform/ids.js';
import type { VerifyTicket } from '../open-platform/verify-ticket.js';
import type { ComponentFetcher } from '../token-fetcher.js';
import { StateChange, type CredentialKind } from './kind.js';

/**
 * An Open Platform component's access token (`api_component_token`), obtained with the component secret and the
 * latest verify ticket WeChat pushed (open-platform/verify-ticket.ts). Refreshed like any token before it
 * expires, never because a ticket arrived: a new component token retires the old one 5 minutes later
 * (../shared/wechat-open-platform.md §2.2, §7.2 item 5). A ticket WeChat refused (61005 expired, 61006 invalid) is
 * remembered in the kind's state and not sent again: the next attempt waits for a newer push.
 */
export function componentTokenKind(fetcher: ComponentFetcher, tickets: { latest(componentAppid: string): Promise<VerifyTicket | null> }): CredentialKind {
  return {
    name: 'component_token',
    principalType: 'component',
    eager: true,
    async obtain(request) {
      const componentAppid = componentAppidOf(request.principal);
      const ticket = await tickets.latest(componentAppid);
      if (!ticket) {
        throw new UpstreamUnavailableError(`no verify ticket has been pushed for component ${componentAppid} yet (WeChat pushes one every 10 minutes to the event URL)`);
      }
      if (request.record?.state?.refusedTicketAt === ticket.createdAt) {
        throw new UpstreamUnavailableError(`WeChat refused the latest verify ticket of component ${componentAppid}; waiting for a newer push`);
      }
      try {
        const token = await fetcher.fetchComponentToken({ componentAppid, secret: request.secret(), verifyTicket: ticket.ticket });
        return { token: token.token, expiresAt: token.expiresAt, obtainedAt: request.startedAt, state: null };
      } catch (err) {
        if (err instanceof WeChatError && (err.errcode === 61005 || err.errcode === 61006)) throw new StateChange({ refusedTicketAt: ticket.createdAt }, err);
        throw err;
      }
    },
  };
}
