import { classicToken } from '../endpoints/classic-token.js';
import { clearQuota, clearQuotaV2, quotaGet } from '../endpoints/quota.js';
import { parseJsonObject, queryParam, stringField } from '../endpoints/request.js';
import { isForceRequest, stableToken } from '../endpoints/stable-token.js';
import { agentConfigTicket, corpJsapiTicket, officialAccountTicket, ticketKind } from '../endpoints/tickets.js';
import { wecomToken } from '../endpoints/wecom-token.js';
import { ANY_METHOD, type WeChatRoute } from './wechat-route.js';

const tokenOwner: WeChatRoute['ownerId'] = (request, state) => state.tokenOwnerId(queryParam(request, 'access_token'));
const tokenCorpApp: WeChatRoute['ownerId'] = (request, state) => state.tokenCorpAppKey(queryParam(request, 'access_token'));

/** The credential and quota endpoints (wechat-api.md §1, §2, §5, §6, §7). */
export const CREDENTIAL_ROUTES: readonly WeChatRoute[] = [
  {
    url: '/cgi-bin/token',
    methods: ['GET'],
    fetchKind: () => 'classic',
    ownerId: (request) => queryParam(request, 'appid'),
    handle: classicToken,
  },
  {
    url: '/cgi-bin/stable_token',
    methods: ANY_METHOD,
    fetchKind: (request) => (isForceRequest(request.body) ? 'stableForce' : 'stableNormal'),
    ownerId: (request) => {
      const body = parseJsonObject(request.body);
      return body ? stringField(body, 'appid') : undefined;
    },
    handle: stableToken,
  },
  {
    url: '/cgi-bin/gettoken',
    methods: ['GET'],
    fetchKind: () => 'wecom',
    ownerId: (request) => queryParam(request, 'corpid'),
    corpAppKey: (request, state) => {
      const corp = state.corp(queryParam(request, 'corpid'));
      const secret = queryParam(request, 'corpsecret');
      return corp && secret !== undefined ? state.corpAppBySecret(corp, secret)?.key : undefined;
    },
    wecom: true,
    handle: wecomToken,
  },
  {
    url: '/cgi-bin/ticket/getticket',
    methods: ['GET'],
    fetchKind: (request) => ticketKind('/cgi-bin/ticket/getticket', queryParam(request, 'type')),
    ownerId: tokenOwner,
    handle: officialAccountTicket,
  },
  {
    url: '/cgi-bin/get_jsapi_ticket',
    methods: ['GET'],
    fetchKind: () => 'corpJsapiTicket',
    ownerId: tokenOwner,
    corpAppKey: tokenCorpApp,
    wecom: true,
    handle: corpJsapiTicket,
  },
  {
    url: '/cgi-bin/ticket/get',
    methods: ['GET'],
    fetchKind: () => 'agentConfigTicket',
    ownerId: tokenOwner,
    corpAppKey: tokenCorpApp,
    wecom: true,
    handle: agentConfigTicket,
  },
  { url: '/cgi-bin/clear_quota', methods: ANY_METHOD, ownerId: tokenOwner, handle: clearQuota },
  {
    url: '/cgi-bin/clear_quota/v2',
    methods: ANY_METHOD,
    ownerId: (request) => {
      const body = parseJsonObject(request.body);
      return queryParam(request, 'appid') ?? (body ? stringField(body, 'appid') : undefined);
    },
    handle: clearQuotaV2,
  },
  { url: '/cgi-bin/openapi/quota/get', methods: ANY_METHOD, ownerId: tokenOwner, handle: quotaGet },
];
