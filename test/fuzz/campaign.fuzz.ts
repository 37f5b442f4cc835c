import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzzRequest, type FuzzRequest } from './arbitraries.js';
import { runCampaign, type CampaignReport } from './campaign.js';
import { judgeForwarded, prototypePolluted } from './oracle.js';
import { startFuzzTarget, type FuzzTarget } from './target.js';

// `npm run fuzz`: the large campaign. WXTOKEN_FUZZ_REQUESTS (default 100,000), WXTOKEN_FUZZ_CONCURRENCY (16) and
// WXTOKEN_FUZZ_SEED choose its size and draw. Loopback only: the hub, the simulator and the stub run in this process.
const REQUESTS = Number(process.env['WXTOKEN_FUZZ_REQUESTS'] ?? 100_000);
const CONCURRENCY = Number(process.env['WXTOKEN_FUZZ_CONCURRENCY'] ?? 16);
const SEED = Number(process.env['WXTOKEN_FUZZ_SEED'] ?? Date.now() % 2 ** 31);
const BATCH = 1_000;

/** A full garbage collection, so heap samples show live data only. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** Requests drawn lazily, a batch at a time, so a large campaign never holds them all. */
function* draw(total: number, seed: number): Generator<FuzzRequest> {
  for (let sent = 0, batch = 0; sent < total; batch++) {
    const n = Math.min(BATCH, total - sent);
    yield* fc.sample(fuzzRequest, { numRuns: n, seed: seed + batch });
    sent += n;
  }
}

function line(report: CampaignReport): string {
  const rate = Math.round(report.requests / Math.max(1, report.elapsedMs / 1000));
  return `requests ${report.requests}  failures ${report.failures.length}  rss ${report.rssMiB.at(-1) ?? '?'} MiB  heap ${report.heapMiB.at(-1) ?? '?'} MiB  ${rate}/s`;
}

describe(`fuzz campaign: ${REQUESTS} requests, seed ${SEED}`, () => {
  let target: FuzzTarget;
  beforeAll(async () => {
    target = await startFuzzTarget();
  });
  afterAll(async () => target.close());

  it('holds every property over the whole campaign', async () => {
    process.stdout.write(`wxtoken fuzz: ${REQUESTS} requests, concurrency ${CONCURRENCY}, seed ${SEED}\n`);
    const report = await runCampaign(target, draw(REQUESTS, SEED), {
      concurrency: CONCURRENCY,
      sampleEvery: Math.max(1_000, Math.floor(REQUESTS / 20)),
      onSample: (r) => process.stdout.write(`  ${line(r)}\n`),
      collectGarbage,
    });
    const forwarded = judgeForwarded(target);
    const statuses = [...report.statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}:${n}`).join(' ');
    const rss = report.rssMiB;
    const heap = report.heapMiB;
    const settled = heap[Math.floor(heap.length / 4)] ?? heap[0] ?? 0;
    process.stdout.write(
      [
        `wxtoken fuzz done: ${line(report)}`,
        `  seconds ${(report.elapsedMs / 1000).toFixed(1)}; statuses ${statuses}`,
        `  passthrough forwarded ${target.stub.received.length}, violations ${forwarded.length}; prototype polluted: ${prototypePolluted()}`,
        `  rss MiB over the run: ${rss.join(' ')}`,
        `  live heap MiB over the run: ${heap.join(' ')} (growth after the first quarter: ${(heap.at(-1) ?? 0) - settled} MiB)`,
        ...report.failures.slice(0, 20).map((f) => `  FAILURE ${f.problems.join('; ')}\n    ${JSON.stringify(f.request.slice(0, 200))}`),
        ...forwarded.slice(0, 20).map((f) => `  FORWARDED ${f}`),
        '',
      ].join('\n'),
    );
    expect(report.failures).toEqual([]);
    expect(forwarded).toEqual([]);
    expect(prototypePolluted()).toBe(false);
    expect((await fetch(`http://127.0.0.1:${target.port}/healthz`)).status).toBe(200);
    // Bounded memory: once warm, the live heap does not keep growing with the number of requests.
    expect((heap.at(-1) ?? 0) - settled).toBeLessThan(32);
  });
});
