import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadMasterKey } from '../../src/core/master-key.js';
import { createSqliteStore } from '../../src/stores/sqlite/index.js';

const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8);

// Finding 8 of issue 13 (first half): the SQLite files were created world-readable (0644).
describe.skipIf(process.platform === 'win32')('SQLite files are private (issue 13, finding 8)', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('creates the database, its -wal and -shm files and the master key file with mode 0600', async () => {
    const previous = process.umask(0o022);
    try {
      const dir = mkdtempSync(join(tmpdir(), 'wxtoken-mode-'));
      dirs.push(dir);
      const path = join(dir, 'nested', 'wxtoken.db');
      const store = await createSqliteStore(path);
      try {
        expect(existsSync(`${path}-wal`)).toBe(true);
        expect(existsSync(`${path}-shm`)).toBe(true);
        expect({ db: mode(path), wal: mode(`${path}-wal`), shm: mode(`${path}-shm`) }).toEqual({ db: '600', wal: '600', shm: '600' });
      } finally {
        await store.close();
      }
      const key = await loadMasterKey({ env: {}, storeUrl: `sqlite:${path}` });
      expect(key.source).toBe('created');
      expect(mode(`${path}.key`)).toBe('600');
    } finally {
      process.umask(previous);
    }
  });
});
