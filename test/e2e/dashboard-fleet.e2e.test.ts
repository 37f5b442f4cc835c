import { afterEach, describe, expect, it } from 'vitest';
import { distributedStores, requireStore } from '../support/hub-process.js';
import { ADMIN_KEY, APPID, SECRET, startHub, startSimulator, type RunningHub } from '../support/stack.js';

/** Signs in at a hub's dashboard the way a browser does; returns the Cookie header of the session. */
async function signIn(hubUrl: string): Promise<string> {
  const form = await fetch(`${hubUrl}/dashboard/sign-in`, { signal: AbortSignal.timeout(STEP_MS) });
  const jar = form.headers.getSetCookie().map((c) => c.split(';')[0]!);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
  const res = await fetch(`${hubUrl}/dashboard/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    signal: AbortSignal.timeout(STEP_MS),
    headers: { cookie: jar.join('; '), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, key: ADMIN_KEY }).toString(),
  });
  expect(res.status).toBe(303);
  return [...jar, ...res.headers.getSetCookie().map((c) => c.split(';')[0]!)].join('; ');
}

/** How long one step may take before the test fails saying which step it was. */
const STEP_MS = 10_000;

/** Reads a server-sent event stream until `needle` appears; rejects when it ends first or after STEP_MS. */
async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, needle: string, seen: { text: string }): Promise<void> {
  const deadline = Date.now() + STEP_MS;
  while (!seen.text.includes(needle)) {
    const left = deadline - Date.now();
    const chunk = await Promise.race([reader.read(), new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), Math.max(0, left)).unref())]);
    if (chunk === 'late') throw new Error(`no ${needle} within ${STEP_MS} ms; the stream said: ${seen.text}`);
    if (chunk.done) throw new Error(`stream ended before ${needle}: ${seen.text}`);
    seen.text += Buffer.from(chunk.value).toString();
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
      // Registered at once, so that a failure later in the test still stops every hub.
      cleanups.push(() => hub.close());
      hubs.push(hub);
    }
    const [a, b] = hubs as [RunningHub, RunningHub];
    await a.hub.putApp(APPID, { secret: SECRET, grant: 'classic' });
    // Both hold the first token before the test starts: the refresh below is then A's own fetch, never a join of a
    // first fetch still in flight on B.
    const held = (r: RunningHub): string | undefined => r.hub.currentToken(APPID)?.token;
    await expect.poll(() => held(a) !== undefined && held(a) === held(b), { timeout: STEP_MS }).toBe(true);
    const cookie = await signIn(b.url);
    // Sessions are signed with a key derived from the admin key: every instance accepts them.
    expect((await fetch(`${a.url}/dashboard/api/overview`, { headers: { cookie }, signal: AbortSignal.timeout(STEP_MS) })).status).toBe(200);

    const abort = new AbortController();
    const stream = await fetch(`${b.url}/dashboard/api/events`, { headers: { cookie }, signal: abort.signal });
    const reader = stream.body!.getReader();
    const seen = { text: '' };
    await readUntil(reader, 'event: hello', seen);
    const refreshed = await fetch(`${a.url}/v1/apps/${APPID}/refresh`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}` }, signal: AbortSignal.timeout(STEP_MS) });
    expect(refreshed.status).toBe(200);

    await readUntil(reader, `"type":"adopted","key":"${APPID}:access_token"`, seen);
    expect(held(b)).toBe(held(a));

    // B's history counts A's refresh, as an adoption. (Read while the stream is open: a request racing the
    // stream's cancellation can make the client open an idle connection that holds the server's close.)
    const overview = (await (await fetch(`${b.url}/dashboard/api/overview`, { headers: { cookie }, signal: AbortSignal.timeout(STEP_MS) })).json()) as { fleet: { refreshed: number[] } };
    expect(overview.fleet.refreshed.reduce((x, y) => x + y, 0)).toBeGreaterThanOrEqual(1);
    // Aborting closes the stream's connection at once (the server then drops its subscription).
    abort.abort();
    await reader.read().catch(() => {});
  });
});
