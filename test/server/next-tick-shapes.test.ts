import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { anchorNextTickShapes } from '../../src/server/next-tick-shapes.js';

const run = promisify(execFile);
const FIXTURE = fileURLToPath(new URL('./fixtures/next-tick-under-gc.mjs', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/wxtoken.js', import.meta.url));

/** How often V8 threw away its optimised nextTick because objects it relied on were collected. */
async function weakObjectDeopts(mode: 'plain' | 'anchored'): Promise<number> {
  // V8's own deoptimisation log, not timings: the outcome is decided by the heap, not by the machine's load.
  const { stdout } = await run(process.execPath, ['--expose-gc', '--trace-deopt', FIXTURE, mode], { maxBuffer: 16 * 1024 * 1024 });
  return stdout.split('\n').filter((line) => line.includes('nextTick') && line.includes('reason: weak objects')).length;
}

describe('anchorNextTickShapes', () => {
  it('captures a queue entry, and later calls reuse it', () => {
    expect(anchorNextTickShapes()).toBe(true);
    expect(anchorNextTickShapes()).toBe(true);
  });

  it('keeps full garbage collections from throwing away the optimised nextTick', async () => {
    // Whether a given run deoptimises depends on when V8's background compiler finishes (most runs do, some not):
    // the control needs one deoptimisation in up to five plain runs, and the anchor must prevent it in each of
    // three runs (a broken anchor would pass all three about once in three hundred times).
    let plain = 0;
    for (let run = 0; run < 5 && plain === 0; run++) plain += await weakObjectDeopts('plain');
    expect(plain, 'the fixture provokes the deoptimisation on this Node').toBeGreaterThan(0);
    for (let run = 0; run < 3; run++) expect(await weakObjectDeopts('anchored')).toBe(0);
  }, 30_000);

  it('is taken by the wxtoken CLI before the CLI modules load', () => {
    // A static import of the CLI would be evaluated first, whatever its position; it must be a dynamic one.
    const source = readFileSync(BIN, 'utf8');
    const anchored = source.indexOf('anchorNextTickShapes();');
    expect(anchored).toBeGreaterThan(0);
    expect(source.indexOf("await import('../dist/cli/main.js')")).toBeGreaterThan(anchored);
    expect(source).not.toMatch(/^import\s[^;]*cli\/main/m);
  });
});
