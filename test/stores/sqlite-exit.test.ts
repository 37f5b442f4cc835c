import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const FIXTURE = fileURLToPath(new URL('./fixtures/sqlite-store-exit.mjs', import.meta.url));

describe('a process using the SQLite store', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it(`exits cleanly after its stores are closed and collected (Node ${process.version})`, async () => {
    // A child process, because the failure this guards against is an abort of the whole process (SIGABRT from a
    // native assertion when a collection destroys a better-sqlite3 object on Node 24), not an exception.
    dir = mkdtempSync(join(tmpdir(), 'wxtoken-sqlite-exit-'));
    const result = await new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, ['--gc-global', FIXTURE, dir], { timeout: 20_000 }, (error, stdout, stderr) => {
        const failure = error as (Error & { code?: number | string; signal?: string }) | null;
        resolve({
          code: failure === null ? 0 : typeof failure.code === 'number' ? failure.code : null,
          signal: failure?.signal ?? null,
          stdout,
          stderr,
        });
      });
    });
    expect({ code: result.code, signal: result.signal, stderr: result.stderr }).toEqual({ code: 0, signal: null, stderr: '' });
    expect(result.stdout).toBe('stores used and collected\n');
  });
});
