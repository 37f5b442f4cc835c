import { InternalError, StoreUnavailableError, WxTokenError } from '../errors/index.js';

/** Where a store reports connection trouble; pino-compatible (object first, then message). */
export interface StoreLogger {
  warn(obj: object, msg: string): void;
}

/** First delay before reconnecting to a backend; doubled per failed attempt up to the store's cap. */
const FIRST_RECONNECT_DELAY_MS = 50;

/** The wait before reconnection attempt `attempt` (0 for the first): capped exponential backoff. */
export function reconnectDelayMs(attempt: number, maxDelayMs: number): number {
  return Math.min(FIRST_RECONNECT_DELAY_MS * 2 ** Math.min(attempt, 16), maxDelayMs);
}

/** The message of anything thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A copy of `error` fit to keep as a cause: name, message and code only. Backend errors carry more (ioredis
 * attaches the failed command and its arguments, records, tokens, an AUTH password; pg's `detail` and `where` can
 * quote row values), and a logger serialising the cause would print it.
 */
export function safeCause(error: unknown): Error {
  const copy = new Error(messageOf(error));
  copy.name = error instanceof Error ? error.name : 'Error';
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') (copy as Error & { code: string }).code = code;
  return copy;
}

/**
 * `error` as a StoreUnavailableError `<context>: <its message>` with a cleaned cause (see safeCause); wxtoken's own
 * errors (ConfigError for a bad schema, an earlier StoreUnavailableError) pass through unchanged.
 */
export function storeUnavailable(context: string, error: unknown): WxTokenError {
  if (error instanceof WxTokenError) return error;
  return new StoreUnavailableError(`${context}: ${messageOf(error)}`, { cause: safeCause(error) });
}

/** SQLSTATE classes that mean the server is unreachable or refusing work: 08 connection, 53 resources, 57 operator. */
const PG_UNAVAILABLE_CLASSES = new Set(['08', '53', '57']);
/** Redis replies that mean "not now" rather than "this call is wrong". */
const REDIS_UNAVAILABLE_REPLY = /^(LOADING|BUSY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|READONLY)\b/;

/**
 * Whether the backend itself answered the call with an error (a SQL error, a Redis error reply): the server is
 * reachable, so this is a fault in the call, not an outage.
 */
export function answeredByBackend(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, code, severity, message } = error as { name?: unknown; code?: unknown; severity?: unknown; message?: unknown };
  if (typeof severity === 'string' && typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return !PG_UNAVAILABLE_CLASSES.has(code.slice(0, 2));
  if (name === 'ReplyError') return !REDIS_UNAVAILABLE_REPLY.test(String(message));
  return false;
}

/**
 * Runs a networked store's backend calls and reports an outage once when it starts and once when it ends,
 * however many calls fail in between.
 */
export class OutageReport {
  #down = false;
  readonly #backend: string;
  readonly #description: string;
  readonly #logger: StoreLogger | undefined;

  /** `backend` names the kind of store in messages (`Redis`, `PostgreSQL`); `description` is the store's. */
  constructor(backend: string, description: string, logger: StoreLogger | undefined) {
    this.#backend = backend;
    this.#description = description;
    this.#logger = logger;
  }

  /** Runs `fn`; a failure is reported as an outage and rejects as StoreUnavailableError, a success ends one. */
  async call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await fn();
    } catch (error) {
      if (answeredByBackend(error)) {
        this.up();
        throw new InternalError(`${this.#backend} store ${this.#description}: ${operation} was rejected: ${messageOf(error)}`, { cause: safeCause(error) });
      }
      this.down(error);
      throw this.wrap(operation, error);
    }
    this.up();
    return result;
  }

  /** `error` from `operation` as the StoreUnavailableError a store call rejects with. */
  wrap(operation: string, error: unknown): WxTokenError {
    return storeUnavailable(`${this.#backend} store ${this.#description}: ${operation} failed`, error);
  }

  /** Notes that the backend is unreachable; logs only the first time since it was last reachable. */
  down(error: unknown): void {
    if (this.#down) return;
    this.#down = true;
    this.#logger?.warn(
      { store: this.#description, err: messageOf(error) },
      `${this.#backend} store unreachable; store calls fail with store_unavailable until it returns`,
    );
  }

  /** Notes that the backend answered; logs only when that ends an outage. */
  up(): void {
    if (!this.#down) return;
    this.#down = false;
    this.#logger?.warn({ store: this.#description }, `${this.#backend} store reachable again`);
  }
}
