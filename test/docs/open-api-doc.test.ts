import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Hub } from '../../src/core/hub.js';
import { createServer } from '../../src/server/index.js';
import { ManualClock } from '../../src/util/clock.js';
import { FakeComponentFetcher } from '../support/fake-component-fetcher.js';
import { testSealer } from '../support/hub-harness.js';
import { createTestStore } from '../support/test-store.js';

const doc = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');

describe('docs/api.md: Open Platform', () => {
  it('has a section for every Open Platform route (registered only for a service with an Open Platform)', async () => {
    const clock = new ManualClock();
    const hub = new Hub({ store: await createTestStore(clock), secrets: testSealer, fetcher: new FakeComponentFetcher(clock), clock, background: false });
    const app = createServer({ service: hub, adminKey: 'admin-key-3f9c1e7a5b2d8c4f6a0e9b1d' });
    const routes: Array<{ methods: string[]; url: string }> = [];
    app.addHook('onRoute', (route) => {
      routes.push({ methods: [route.method].flat().map(String), url: route.url });
    });
    await app.ready();
    await app.close();
    const headings = [...doc.matchAll(/^### `([^`]+)`/gm)].map((m) => m[1]!);
    const open = routes.filter((r) => /^\/(open\/|v1\/authorizers|v1\/components|cgi-bin\/component\/)/.test(r.url));
    expect(open.length).toBeGreaterThanOrEqual(14);
    const missing = open
      .flatMap((r) => r.methods.filter((m) => m !== 'HEAD').map((m) => `${m} ${r.url.replace(/:([A-Za-z_]+)/g, '{$1}')}`))
      .filter((h) => !headings.includes(h));
    expect(missing).toEqual([]);
  });
});
