/** Options shared by every wxtoken error. */
export interface WxTokenErrorOptions {
  /** The underlying failure, kept for logs; never serialised to API callers. */
  cause?: unknown;
  /** Seconds after which a retry may succeed (sent as Retry-After where the error crosses HTTP). */
  retryAfterSeconds?: number;
}

/**
 * Root of wxtoken's error hierarchy. Every error that crosses a module boundary is one of these, with a stable
 * string `code` (documented in docs/errors.md), the HTTP `status` it maps to when it reaches an API caller, and
 * whether retrying the same operation later can succeed.
 */
export class WxTokenError extends Error {
  readonly code: string;
  readonly status: number;
  readonly retryable: boolean;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: string, message: string, status: number, retryable: boolean, options: WxTokenErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.retryable = retryable;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** The shape sent to API callers: code and message only, never the cause. */
  toJSON(): { code: string; message: string } {
    return { code: this.code, message: this.message };
  }
}
