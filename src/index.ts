// The library surface of wxtoken: embed the hub, the WeChat client or the simulator in your own process.
export * from './errors/index.js';
export * from './wechat/index.js';
export { Hub, type HubOptions, type SecretSealer } from './core/hub.js';
export { ManualClock, systemClock, type Clock } from './util/clock.js';
export { createWeChatFetcher, type CredentialFetcher } from './core/token-fetcher.js';
export type { AppStatus, IssuedToken, TokenService, HubEvents } from './core/token-service.js';
export type { Store, PrincipalRecord, PrincipalType, CredentialRecord, ClientKeyRecord, Grant } from './stores/store.js';
export { openStore } from './stores/open-store.js';
export { createServer } from './server/index.js';
export { createSimulator, type Simulator, type SimulatorOptions } from './simulator/index.js';
export { HubClient, HubClientError } from './client/index.js';
