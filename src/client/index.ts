export { HubClient, HubClientError, DEFAULT_CLIENT_TIMEOUT_MS, type HubClientOptions, type HubToken } from './hub-client.js';
