export {
  SqliteStore,
  createSqliteStore,
  DEFAULT_SQLITE_PATH,
  DEFAULT_POLL_INTERVAL_MS,
  DEFAULT_BUSY_TIMEOUT_MS,
  DEFAULT_CHANGE_RETENTION_MS,
  type SqliteStoreOptions,
} from './sqlite-store.js';
export { SCHEMA_VERSION } from './schema.js';
