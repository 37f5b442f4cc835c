import type { Clock } from '../util/clock.js';

/**
 * The WeChat endpoints the hub calls for credentials, as metric labels; any other path is `(other)`, so a label
 * never carries a raw URL and the series stay few.
 */
export const TIMED_ENDPOINTS: readonly string[] = [
  '/cgi-bin/token',
  '/cgi-bin/stable_token',
  '/cgi-bin/ticket/getticket',
  '/cgi-bin/gettoken',
  '/cgi-bin/get_jsapi_ticket',
  '/cgi-bin/ticket/get',
  '/cgi-bin/component/api_component_token',
  '/cgi-bin/component/api_authorizer_token',
  '/cgi-bin/openapi/quota/get',
];

/** The label of a called URL: the known endpoint its path ends with, else `(other)`. */
export function endpointLabel(url: string): string {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return '(other)';
  }
  return TIMED_ENDPOINTS.find((e) => path.endsWith(e)) ?? '(other)';
}

/** A fetch that reports each call's endpoint, duration and whether an answer came back; otherwise the same fetch. */
export function timedFetch(
  inner: typeof fetch,
  clock: Clock,
  onCall: (call: { endpoint: string; durationMs: number; outcome: 'answered' | 'failed' }) => void,
): typeof fetch {
  return async (input, init) => {
    const started = clock.now();
    const endpoint = endpointLabel(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    try {
      const res = await inner(input, init);
      onCall({ endpoint, durationMs: clock.now() - started, outcome: 'answered' });
      return res;
    } catch (err) {
      onCall({ endpoint, durationMs: clock.now() - started, outcome: 'failed' });
      throw err;
    }
  };
}
