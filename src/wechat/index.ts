/** wxtoken's typed client for WeChat's and WeCom's credential endpoints and a few business probes. */
export {
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_WECHAT_BASE_URL,
  DEFAULT_WECOM_BASE_URL,
  resolveRequestOptions,
  type ResolvedRequestOptions,
  type WeChatRequestOptions,
} from './options.js';
export { MAX_CREDENTIAL_LENGTH, MAX_EXPIRES_IN_SECONDS, type AccessToken, type Ticket } from './wire.js';
export { getAccessToken, TOKEN_PATH } from './token.js';
export { getStableAccessToken, STABLE_TOKEN_PATH } from './stable-token.js';
export { getTicket, GET_TICKET_PATH, TICKET_TYPES, type TicketType } from './ticket.js';
export {
  getWeComAgentConfigTicket,
  getWeComJsapiTicket,
  getWeComTicket,
  getWeComToken,
  WECOM_TICKET_TYPES,
  type WeComTicketType,
  WECOM_AGENT_TICKET_PATH,
  WECOM_JSAPI_TICKET_PATH,
  WECOM_TOKEN_PATH,
} from './wecom.js';
export { API_QUOTA_PATH, CLEAR_QUOTA_PATH, CLEAR_QUOTA_V2_PATH, clearQuota, clearQuotaV2, getApiQuota, type ApiQuota, type RateLimit } from './quota.js';
export { API_DOMAIN_IP_PATH, CALLBACK_IP_PATH, getApiDomainIp, getCallbackIp, getMenu, MENU_PATH } from './business.js';
export {
  JSCODE2SESSION_PATH,
  OAUTH2_ACCESS_TOKEN_PATH,
  loginFailure,
  parseCode2Session,
  parseOAuthGrant,
  type MiniProgramSession,
  type OAuthGrant,
} from './login.js';
export { classifyErrcode, isTokenInvalid, ERRCODES, type EndpointKind, type ErrcodeCategory } from './errcodes.js';
export {
  cardSignature,
  cardSigningString,
  DEFAULT_NONCE_LENGTH,
  jssdkSignature,
  jssdkSigningString,
  newNonceStr,
  NONCE_ALPHABET,
  signedUrl,
  verifyCardSignature,
  verifyJssdkSignature,
  type JssdkSignatureInput,
} from './jssdk-signature.js';
export {
  AUTHORIZER_LIST_MAX_COUNT,
  AUTHORIZER_LIST_PATH,
  AUTHORIZER_TOKEN_PATH,
  COMPONENT_TOKEN_PATH,
  PRE_AUTH_CODE_PATH,
  QUERY_AUTH_PATH,
  START_PUSH_TICKET_PATH,
  createPreAuthCode,
  getAuthorizerList,
  getAuthorizerToken,
  getComponentToken,
  queryAuth,
  startPushTicket,
  type AuthorizationInfo,
  type AuthorizerToken,
  type ListedAuthorizer,
} from './component.js';
export {
  decodeAesKey,
  decryptMessage,
  encryptMessage,
  isEncodingAesKey,
  msgSignature,
  openMessage,
  plainSignature,
  sealMessage,
  signatureMatches,
  type DecryptedMessage,
} from './msg-crypto.js';
