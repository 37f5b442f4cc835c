export { RedisStore, createRedisStore } from './redis-store.js';
export {
  DEFAULT_KEY_PREFIX,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_COMMAND_TIMEOUT_MS,
  DEFAULT_MAX_RECONNECT_DELAY_MS,
  type RedisStoreOptions,
  type StoreLogger,
} from './options.js';
