import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createServer, DEFAULT_PASSTHROUGH_PREFIXES } from '../../src/server/index.js';
import { ManualClock } from '../../src/util/clock.js';
import { Hub } from '../../src/core/hub.js';
import { FakeComponentFetcher } from '../support/fake-component-fetcher.js';
import { testSealer } from '../support/hub-harness.js';
import { createTestStore } from '../support/test-store.js';

const doc = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');

/**
 * `METHOD /path` of every `### \`METHOD /path\`` heading of docs/api.md but the wildcard ones (the passthrough's
 * `ANY …`, the dashboard's static files), which OpenAPI paths cannot express.
 */
function documented(): string[] {
  return [...doc.matchAll(/^### `([A-Z]+) (\/[^`]*)`/gm)].filter((m) => m[1] !== 'ANY' && !m[2]!.includes('*')).map((m) => `${m[1]} ${m[2]}`);
}

async function openapi(): Promise<{ paths: Record<string, Record<string, unknown>>; 'x-wxtoken-passthrough': string[]; openapi: string }> {
  // A real hub, so that every route registers (the Open Platform's only for a service that has one).
  const clock = new ManualClock();
  const hub = new Hub({ store: await createTestStore(clock), secrets: testSealer, fetcher: new FakeComponentFetcher(clock), clock, background: false });
  const app = createServer({ service: hub, adminKey: 'admin-key-3f9c1e7a5b2d8c4f6a0e9b1d' });
  try {
    const res = await app.inject({ url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    return res.json();
  } finally {
    await app.close();
  }
}

describe('/openapi.json', () => {
  it('lists exactly the endpoints docs/api.md documents (method and path)', async () => {
    const spec = await openapi();
    expect(spec.openapi).toMatch(/^3\./);
    const listed = Object.entries(spec.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`));
    expect(listed.sort()).toEqual(documented().sort());
  });

  it('names the passthrough prefixes the docs list under ANY', async () => {
    const spec = await openapi();
    expect(spec['x-wxtoken-passthrough']).toEqual([...DEFAULT_PASSTHROUGH_PREFIXES]);
    const heading = doc.match(/^### `ANY .*$/m)![0];
    for (const prefix of spec["x-wxtoken-passthrough"]) expect(heading).toContain(`${prefix}*`);
  });

  it('carries the route schemas: an admin route\'s body and a response', async () => {
    const spec = await openapi();
    const put = spec.paths['/v1/apps/{appid}']!['put'] as { requestBody?: unknown; parameters?: Array<{ name: string }> };
    expect(put.requestBody).toBeDefined();
    expect(put.parameters?.map((p) => p.name)).toContain('appid');
    expect(spec.paths['/healthz']!['get']).toMatchObject({ responses: { 200: expect.anything() } });
  });
});
