import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt } from '../support/hub-process.js';

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));

/**
 * Runs `script` in a fresh Node process (ESM) and returns the CommonJS modules it had loaded when done (better-sqlite3
 * is CommonJS: importing it from ESM goes through the CommonJS loader, whose cache lists it).
 */
function modulesAfter(script: string): string[] {
  const probe = `${script}\nconst { createRequire } = await import('node:module');\nconsole.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: DIST, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').at(-1)!) as string[];
}

describe('backends load only when used', () => {
  beforeAll(() => assertBuilt());

  it('loading the master key, the hub and a Redis or PostgreSQL store URL never loads the native SQLite module', () => {
    const loaded = modulesAfter(`
      const { loadMasterKey } = await import('./core/master-key.js');
      const { parseStoreUrl } = await import('./stores/open-store.js');
      await import('./core/hub.js');
      for (const storeUrl of ['redis://127.0.0.1:6379/0', 'postgres://postgres@127.0.0.1:5432/test']) {
        parseStoreUrl(storeUrl);
        await loadMasterKey({ env: { WXTOKEN_MASTER_KEY: 'ab'.repeat(32) }, storeUrl });
      }
    `);
    expect(loaded.filter((p) => p.includes('/better-sqlite3/'))).toEqual([]);
  });

  it('opening a SQLite store does load it (the probe sees the module)', () => {
    const loaded = modulesAfter(`
      const { mkdtempSync, rmSync } = await import('node:fs');
      const { join } = await import('node:path');
      const { tmpdir } = await import('node:os');
      const dir = mkdtempSync(join(tmpdir(), 'wxtoken-lazy-'));
      const { openStore } = await import('./stores/open-store.js');
      const store = await openStore('sqlite:' + join(dir, 'probe.db'));
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    `);
    expect(loaded.some((p) => p.includes('/better-sqlite3/'))).toBe(true);
  });
});
