import type { ErrcodeCategory } from './errcode-category.js';
import { WxTokenError } from './wxtoken-error.js';

/** How a request to WeChat failed before a WeChat errcode could be read. */
export type TransportFailure = 'timeout' | 'network' | 'http-status' | 'bad-body' | 'aborted';

/**
 * The request to WeChat failed in transit: timeout, connection reset, HTTP 5xx, an HTML error page, an empty or
 * truncated body. Always transient. The message names the endpoint path only, never its query (it holds secrets).
 */
export class UpstreamTransportError extends WxTokenError {
  readonly failure: TransportFailure;
  readonly endpoint: string;
  readonly httpStatus: number | undefined;
  readonly category: ErrcodeCategory = 'transient';

  constructor(failure: TransportFailure, endpoint: string, detail: string, options: { cause?: unknown; httpStatus?: number } = {}) {
    super('upstream_transport', `WeChat ${endpoint} failed (${failure}): ${detail}`, 502, failure !== 'aborted', { cause: options.cause });
    this.failure = failure;
    this.endpoint = endpoint;
    this.httpStatus = options.httpStatus;
  }
}
