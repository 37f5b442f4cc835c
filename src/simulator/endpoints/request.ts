import type { WeChatBody } from '../wechat-reply.js';

/** A WeChat request as endpoint logic sees it, free of HTTP framework types. */
export interface WeChatRequest {
  readonly method: string;
  /** Query parameters (first value of repeated ones). */
  readonly query: Readonly<Record<string, string | undefined>>;
  /** The raw request body, if any. */
  readonly body: string | undefined;
  /** The client's address as the socket reports it. */
  readonly ip: string;
}

/** What every endpoint returns: the JSON body WeChat would send with HTTP 200. */
export type EndpointResult = WeChatBody;

/** Parses a JSON object body; undefined when it is absent, not JSON or not an object (47001). */
export function parseJsonObject(raw: string | undefined): Record<string, unknown> | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  try {
    const value: unknown = JSON.parse(raw);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A body field as a string: absent, null and '' read as missing; numbers are stringified as WeChat's parser would. */
export function stringField(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === null || value === '') return undefined;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A query parameter, with '' reading as missing. */
export function queryParam(request: WeChatRequest, name: string): string | undefined {
  const value = request.query[name];
  return value === '' ? undefined : value;
}
