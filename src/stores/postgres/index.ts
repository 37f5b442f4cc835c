export { PostgresStore, createPostgresStore } from './postgres-store.js';
export {
  DEFAULT_SCHEMA,
  DEFAULT_POOL_SIZE,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_COMMAND_TIMEOUT_MS,
  DEFAULT_MAX_RECONNECT_DELAY_MS,
  MIGRATION_TIMEOUT_MS,
  type PostgresStoreOptions,
  type StoreLogger,
} from './options.js';
export { SCHEMA_VERSION } from './migrations.js';
