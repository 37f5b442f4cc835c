import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/util/clock.js';
import { createServer, DEFAULT_PASSTHROUGH_PREFIXES } from '../../src/server/index.js';
import { FakeTokenService } from '../server/fake-token-service.js';

const doc = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');

describe('docs/api.md', () => {
  it('has a section for every route the server registers', async () => {
    const app = createServer({ service: new FakeTokenService(new ManualClock()), adminKey: 'admin-key-3f9c1e7a5b2d8c4f6a0e9b1d' });
    const routes: Array<{ methods: string[]; url: string }> = [];
    app.addHook('onRoute', (route) => {
      routes.push({ methods: [route.method].flat().map(String), url: route.url });
    });
    await app.ready();
    await app.close();

    const headings = [...doc.matchAll(/^### `([^`]+)`/gm)].map((m) => m[1]!);
    // The dashboard's static files are served under two wildcard routes, each documented by its own heading.
    const staticFiles = routes.filter((r) => r.url.endsWith('*') && r.url.startsWith('/dashboard/'));
    expect(staticFiles.map((r) => r.url).sort()).toEqual(['/dashboard/assets/*', '/dashboard/vendor/*']);
    for (const r of staticFiles) expect(headings, `docs/api.md documents ${r.url}`).toContain(`GET ${r.url}`);
    const wildcards = routes.filter((r) => r.url.endsWith('*') && !r.url.startsWith('/dashboard/') && !r.url.startsWith('/v1/'));
    expect(wildcards.map((r) => r.url).sort()).toEqual(DEFAULT_PASSTHROUGH_PREFIXES.map((p) => `${p}*`).sort());
    const passthroughHeading = [...doc.matchAll(/^### `ANY .*$/gm)].map((m) => m[0])[0];
    for (const r of wildcards) expect(passthroughHeading, `passthrough heading lists ${r.url}`).toContain(r.url);
    // The hub's own wildcard routes (the proxy) are documented as `ANY /path/{WeChat path}`.
    const ownWildcards = routes.filter((r) => r.url.endsWith('*') && r.url.startsWith('/v1/'));
    expect(ownWildcards.map((r) => r.url)).toEqual(['/v1/apps/:appid/proxy/*']);
    for (const r of ownWildcards) {
      const heading = `ANY ${r.url.replace(/:([A-Za-z]+)/g, '{$1}').replace(/\*$/, '{WeChat path}')}`;
      expect(headings, `a "### \`${heading}\`" section`).toContain(heading);
    }

    const missing: string[] = [];
    // Fastify adds a HEAD route beside each GET; it needs no section of its own.
    for (const r of routes.filter((x) => !x.url.endsWith('*') && !(x.methods.length === 1 && x.methods[0] === 'HEAD'))) {
      const path = r.url.replace(/:([A-Za-z]+)/g, '{$1}');
      // `all` routes (the compat token endpoints) register every method; the doc names the one callers use.
      const methods = r.methods.length > 2 ? r.methods.filter((m) => headings.includes(`${m} ${path}`)).slice(0, 1) : r.methods;
      if (methods.length === 0) missing.push(`(any method) ${path}`);
      for (const m of methods) if (!headings.includes(`${m} ${path}`)) missing.push(`${m} ${path}`);
    }
    expect(missing, 'routes without a "### `METHOD /path`" section in docs/api.md').toEqual([]);
  });
});
