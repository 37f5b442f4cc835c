import { afterEach, describe, expect, it } from 'vitest';
import { distributedStores, requireStore } from '../support/hub-process.js';
import { ADMIN_KEY, APPID, SECRET, startHub, startSimulator, type RunningHub } from '../support/stack.js';

/** Signs in at a hub's dashboard the way a browser does; returns the Cookie header of the session. */
async function signIn(hubUrl: string): Promise<string> {
  const form = await fetch(`${hubUrl}/dashboard/sign-in`);
  const jar = form.headers.getSetCookie().map((c) => c.split(';')[0]!);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
  const res = await fetch(`${hubUrl}/dashboard/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: jar.join('; '), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, key: ADMIN_KEY }).toString(),
  });
  expect(res.status).toBe(303);
  return [...jar, ...res.headers.getSetCookie().map((c) => c.split(';')[0]!)].join('; ');
}

/** Reads a server-sent event stream until `needle` appears; rejects when it ends first. */
async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, needle: string, seen: { text: string }): Promise<void> {
  while (!seen.text.includes(needle)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ended before ${needle}: ${seen.text}`);
    seen.text += Buffer.from(value).toString();
  }
}

/**
 * A dashboard open on one instance of a fleet goes live with refreshes made by another: the refreshing instance
 * writes the store, the store's change event reaches the other, which adopts the value and streams the event.
 */
describe.each(distributedStores())('dashboard live updates across a fleet on $name', (store) => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it("streams another instance's refresh, and one instance's session opens the others", async ({ skip }) => {
    await requireStore(store, skip);
    const { url: storeUrl, cleanup } = await store.isolatedUrl();
    cleanups.push(cleanup);
    const { sim, url: simUrl } = await startSimulator();
    cleanups.push(() => sim.close());
    const hubs: RunningHub[] = [];
    for (let i = 0; i < 2; i++) {
      const hub = await startHub(storeUrl, simUrl);
      cleanups.push(() => hub.close());
      hubs.push(hub);
    }
    const [a, b] = hubs as [RunningHub, RunningHub];
    await a.hub.putApp(APPID, { secret: SECRET, grant: 'classic' });
    await expect.poll(() => b.hub.listCredentials().map((s) => s.key), { timeout: 10_000 }).toContain(`${APPID}:access_token`);
    const cookie = await signIn(b.url);
    // Sessions are signed with a key derived from the admin key: every instance accepts them.
    expect((await fetch(`${a.url}/dashboard/api/overview`, { headers: { cookie } })).status).toBe(200);

    const abort = new AbortController();
    const stream = await fetch(`${b.url}/dashboard/api/events`, { headers: { cookie }, signal: abort.signal });
    const reader = stream.body!.getReader();
    const seen = { text: '' };
    await readUntil(reader, 'event: hello', seen);
    const refreshed = await fetch(`${a.url}/v1/apps/${APPID}/refresh`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(refreshed.status).toBe(200);

    await readUntil(reader, `"type":"adopted","key":"${APPID}:access_token"`, seen);

    // B's history counts A's refresh, as an adoption. (Read while the stream is open: a request racing the
    // stream's cancellation can make the client open an idle connection that holds the server's close.)
    const overview = (await (await fetch(`${b.url}/dashboard/api/overview`, { headers: { cookie } })).json()) as { fleet: { refreshed: number[] } };
    expect(overview.fleet.refreshed.reduce((x, y) => x + y, 0)).toBeGreaterThanOrEqual(1);
    // Aborting closes the stream's connection at once (the server then drops its subscription).
    abort.abort();
    await reader.read().catch(() => {});
  });
});
