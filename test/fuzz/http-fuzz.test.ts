import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzzRequest, rawRequestArb, structuredRequest } from './arbitraries.js';
import { runCampaign } from './campaign.js';
import { judge, judgeForwarded, materialise, prototypePolluted, send } from './oracle.js';
import { startFuzzTarget, type FuzzTarget } from './target.js';

// Bounded so the suite stays within about 30 s on a shared 2-core machine; `npm run fuzz` runs the large campaign.
// A fixed seed makes a failure reproducible; WXTOKEN_FUZZ_SEED explores others.
const SEED = Number(process.env['WXTOKEN_FUZZ_SEED'] ?? 20261129);
const STRUCTURED_RUNS = 700;
const MANGLED_RUNS = 400;
const MIXED_RUNS = 1_000;

/** A full garbage collection, so heap figures compare live data only. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

describe('fuzzing every route (issue 13)', () => {
  let target: FuzzTarget;
  let heapBefore = 0;
  beforeAll(async () => {
    target = await startFuzzTarget();
    collectGarbage();
    heapBefore = process.memoryUsage().heapUsed;
  });
  afterAll(async () => target.close());

  it('structured requests: no 5xx, an answer every time, no token or key to a caller not scoped to it', async () => {
    await fc.assert(
      fc.asyncProperty(structuredRequest, async (req) => {
        const bytes = materialise(req, target);
        const res = await send(target.port, bytes, false);
        expect(judge(target, bytes, false, res), bytes.subarray(0, 300).toString('latin1')).toEqual([]);
      }),
      { numRuns: STRUCTURED_RUNS, seed: SEED },
    );
  });

  it('mangled request lines, headers and framing: never a 5xx or a leak', async () => {
    const report = await runCampaign(target, fc.sample(rawRequestArb, { numRuns: MANGLED_RUNS, seed: SEED }), { concurrency: 8, sampleEvery: 1_000 });
    expect(report.failures).toEqual([]);
    expect(report.requests).toBe(MANGLED_RUNS);
  });

  it('a concurrent mixed run: the same properties under load', async () => {
    const report = await runCampaign(target, fc.sample(fuzzRequest, { numRuns: MIXED_RUNS, seed: SEED + 1 }), { concurrency: 8, sampleEvery: 500 });
    expect(report.failures).toEqual([]);
  });

  it('forwarded only resolved business paths under the prefixes, never a token endpoint', () => {
    expect(target.stub.received.length).toBeGreaterThan(0);
    expect(judgeForwarded(target)).toEqual([]);
  });

  it('left no polluted prototype, a healthy server and a bounded heap', async () => {
    expect(prototypePolluted()).toBe(false);
    expect((await fetch(`http://127.0.0.1:${target.port}/healthz`)).status).toBe(200);
    collectGarbage();
    const grownMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    expect(grownMiB).toBeLessThan(48);
  });
});
