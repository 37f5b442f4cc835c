export { HubClient, HubClientError, DEFAULT_CLIENT_TIMEOUT_MS, type HubClientOptions, type HubToken, type MiniProgramSession, type OAuthGrant } from './hub-client.js';
