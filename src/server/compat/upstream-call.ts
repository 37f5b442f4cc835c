import type { FastifyReply } from 'fastify';
import type { Clock } from '../../util/clock.js';

/** How the hub reaches WeChat for calls it forwards (the passthrough, secret-bearing calls, the login proxy). */
export interface UpstreamCallOptions {
  readonly upstreamBaseUrl: string;
  readonly timeoutMs: number;
  readonly fetch: typeof fetch;
  readonly clock: Clock;
}

/** WeChat's answer, kept as bytes so it is relayed unchanged. */
export interface UpstreamAnswer {
  readonly ok: true;
  readonly status: number;
  readonly contentType: string | null;
  readonly location: string | null;
  readonly body: Buffer;
}

/** Why WeChat could not be reached (never the URL: its query can hold a secret, a code or a token). */
export interface UpstreamFailure {
  readonly ok: false;
  readonly why: 'timeout' | 'network';
  /** The error's name only. */
  readonly errorName: string;
}

/**
 * Sends one request to WeChat (`pathAndQuery` appended to the base URL, redirects not followed) within the
 * timeout, and reads the whole answer. Never throws: a failure is returned so the caller answers in its own shape.
 */
export async function callUpstream(options: UpstreamCallOptions, pathAndQuery: string, init: RequestInit): Promise<UpstreamAnswer | UpstreamFailure> {
  const controller = new AbortController();
  const cancelTimer = options.clock.setTimer(() => controller.abort(), options.timeoutMs);
  try {
    const res = await options.fetch(options.upstreamBaseUrl + pathAndQuery, { ...init, redirect: 'manual', signal: controller.signal });
    const body = Buffer.from(await res.arrayBuffer());
    return { ok: true, status: res.status, contentType: res.headers.get('content-type'), location: res.headers.get('location'), body };
  } catch (err) {
    return { ok: false, why: controller.signal.aborted ? 'timeout' : 'network', errorName: err instanceof Error ? err.name : typeof err };
  } finally {
    cancelTimer();
  }
}

/** Relays WeChat's answer unchanged: status, content-type, location and the body bytes. */
export function relayUpstream(reply: FastifyReply, answer: UpstreamAnswer): FastifyReply {
  reply.code(answer.status);
  if (answer.contentType !== null) reply.header('content-type', answer.contentType);
  if (answer.location !== null) reply.header('location', answer.location);
  return reply.send(answer.body);
}
