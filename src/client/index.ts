export {
  HubClient,
  HubClientError,
  DEFAULT_CLIENT_TIMEOUT_MS,
  DEFAULT_CALL_TIMEOUT_MS,
  PROXY_SOURCE_HEADER,
  type AuthorizerTokenOptions,
  type HubClientOptions,
  type HubToken,
  type MiniProgramSession,
  type OAuthGrant,
} from './hub-client.js';
