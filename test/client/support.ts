// Helpers of the client SDK's tests against a real hub.
import { HubClient } from '../../src/client/index.js';

/** A client whose every request is recorded as `METHOD /path?query`, to count what reached the hub. */
export function recordingClient(baseUrl: string, key: string): { client: HubClient; requests: string[] } {
  const requests: string[] = [];
  const recording: typeof fetch = (input, init) => {
    const url = new URL(String(input));
    requests.push(`${init?.method ?? 'GET'} ${url.pathname}${url.search}`);
    return fetch(input, init);
  };
  return { client: new HubClient({ baseUrl, key, fetch: recording }), requests };
}

/** The simulator's verdict on a token at a business endpoint (WeChat's and WeCom's alike): `ok` or its errcode. */
export async function tokenVerdict(simUrl: string, token: string): Promise<'ok' | number> {
  const body = (await (await fetch(`${simUrl}/cgi-bin/getcallbackip?access_token=${encodeURIComponent(token)}`)).json()) as { errcode?: number };
  return body.errcode ? body.errcode : 'ok';
}
