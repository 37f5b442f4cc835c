/** Every client function with a canned success body, so transport and redaction tests can run over all of them. */
import type { EndpointKind } from '../../src/wechat/errcodes.js';
import {
  clearQuota,
  clearQuotaV2,
  getAccessToken,
  getApiDomainIp,
  getApiQuota,
  getCallbackIp,
  getMenu,
  getStableAccessToken,
  getTicket,
  getWeComAgentConfigTicket,
  getWeComJsapiTicket,
  getWeComToken,
  type WeChatRequestOptions,
} from '../../src/wechat/index.js';

/** Distinctive secret and token strings: no message, log or serialisation may ever contain them. */
export const SECRET = 'S3CRET-canary-4b1d6e0f9a2c';
export const ACCESS_TOKEN = 'TOKEN-canary-77e0c5a1d3b8';

/** One client function under test. */
export interface EndpointCase {
  readonly name: string;
  readonly path: string;
  readonly kind: EndpointKind;
  readonly call: (options: WeChatRequestOptions) => Promise<unknown>;
  /** A body WeChat would send on success. */
  readonly success: Record<string, unknown>;
}

const tokenBody = { access_token: 'ACCESS_TOKEN_VALUE', expires_in: 7200 };
const ticketBody = { errcode: 0, errmsg: 'ok', ticket: 'TICKET_VALUE', expires_in: 7200 };

/** All of them. */
export const ENDPOINTS: readonly EndpointCase[] = [
  { name: 'getAccessToken', path: '/cgi-bin/token', kind: 'token', call: (o) => getAccessToken({ ...o, appid: 'wxapp1', secret: SECRET }), success: tokenBody },
  {
    name: 'getStableAccessToken',
    path: '/cgi-bin/stable_token',
    kind: 'token',
    call: (o) => getStableAccessToken({ ...o, appid: 'wxapp1', secret: SECRET }),
    success: tokenBody,
  },
  {
    name: 'getTicket',
    path: '/cgi-bin/ticket/getticket',
    kind: 'business',
    call: (o) => getTicket({ ...o, accessToken: ACCESS_TOKEN, type: 'jsapi' }),
    success: ticketBody,
  },
  {
    name: 'getWeComToken',
    path: '/cgi-bin/gettoken',
    kind: 'token',
    call: (o) => getWeComToken({ ...o, corpid: 'wwcorp1', corpsecret: SECRET }),
    success: { errcode: 0, errmsg: 'ok', ...tokenBody },
  },
  {
    name: 'getWeComJsapiTicket',
    path: '/cgi-bin/get_jsapi_ticket',
    kind: 'business',
    call: (o) => getWeComJsapiTicket({ ...o, accessToken: ACCESS_TOKEN }),
    success: ticketBody,
  },
  {
    name: 'getWeComAgentConfigTicket',
    path: '/cgi-bin/ticket/get',
    kind: 'business',
    call: (o) => getWeComAgentConfigTicket({ ...o, accessToken: ACCESS_TOKEN }),
    success: ticketBody,
  },
  {
    name: 'clearQuota',
    path: '/cgi-bin/clear_quota',
    kind: 'business',
    call: (o) => clearQuota({ ...o, accessToken: ACCESS_TOKEN, appid: 'wxapp1' }),
    success: { errcode: 0, errmsg: 'ok' },
  },
  {
    name: 'clearQuotaV2',
    path: '/cgi-bin/clear_quota/v2',
    kind: 'token',
    call: (o) => clearQuotaV2({ ...o, appid: 'wxapp1', secret: SECRET }),
    success: { errcode: 0, errmsg: 'ok' },
  },
  {
    name: 'getApiQuota',
    path: '/cgi-bin/openapi/quota/get',
    kind: 'business',
    call: (o) => getApiQuota({ ...o, accessToken: ACCESS_TOKEN, cgiPath: '/cgi-bin/token' }),
    success: { errcode: 0, errmsg: 'ok', quota: { daily_limit: 2000, used: 3, remain: 1997 } },
  },
  {
    name: 'getCallbackIp',
    path: '/cgi-bin/getcallbackip',
    kind: 'business',
    call: (o) => getCallbackIp({ ...o, accessToken: ACCESS_TOKEN }),
    success: { ip_list: ['106.55.206.146'] },
  },
  {
    name: 'getApiDomainIp',
    path: '/cgi-bin/get_api_domain_ip',
    kind: 'business',
    call: (o) => getApiDomainIp({ ...o, accessToken: ACCESS_TOKEN }),
    success: { ip_list: ['101.89.47.18'] },
  },
  { name: 'getMenu', path: '/cgi-bin/menu/get', kind: 'business', call: (o) => getMenu({ ...o, accessToken: ACCESS_TOKEN }), success: { menu: { button: [] } } },
];

/** Awaits `promise`, which must reject, and returns what it rejected with. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject, but it resolved');
}
