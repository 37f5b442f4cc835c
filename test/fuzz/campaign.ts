import type { FuzzRequest } from './arbitraries.js';
import { judge, materialise, send } from './oracle.js';
import type { FuzzTarget } from './target.js';

/** A violation with the request that caused it (its first 300 bytes, as sent). */
export interface Finding {
  readonly request: string;
  readonly problems: string[];
}

/** Figures of a run. */
export interface CampaignReport {
  requests: number;
  failures: Finding[];
  statuses: Map<number, number>;
  /** Resident set size samples in MiB, one per `sampleEvery` requests. */
  rssMiB: number[];
  heapMiB: number[];
  elapsedMs: number;
}

/**
 * Sends `requests` to the target, `concurrency` at a time, judging every answer. Memory is sampled every
 * `sampleEvery` requests (after `collectGarbage`, when given, so the heap figure is live data); `onSample` lets a
 * long run print progress.
 */
export async function runCampaign(
  target: FuzzTarget,
  requests: Iterable<FuzzRequest>,
  options: { concurrency: number; sampleEvery: number; onSample?: (report: CampaignReport) => void; collectGarbage?: () => void },
): Promise<CampaignReport> {
  const report: CampaignReport = { requests: 0, failures: [], statuses: new Map(), rssMiB: [], heapMiB: [], elapsedMs: 0 };
  const started = Date.now();
  const iterator = requests[Symbol.iterator]();
  const worker = async (): Promise<void> => {
    for (let next = iterator.next(); !next.done; next = iterator.next()) {
      const req = next.value;
      const mangled = req.raw.length > 0;
      const bytes = materialise(req, target);
      const res = await send(target.port, bytes, mangled);
      report.requests++;
      report.statuses.set(res.status, (report.statuses.get(res.status) ?? 0) + 1);
      const problems = judge(target, bytes, mangled, res);
      if (problems.length > 0) report.failures.push({ request: bytes.subarray(0, 300).toString('latin1'), problems });
      if (report.requests % options.sampleEvery === 0) {
        options.collectGarbage?.();
        const mem = process.memoryUsage();
        report.rssMiB.push(Math.round(mem.rss / 2 ** 20));
        report.heapMiB.push(Math.round(mem.heapUsed / 2 ** 20));
        report.elapsedMs = Date.now() - started;
        options.onSample?.(report);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  report.elapsedMs = Date.now() - started;
  return report;
}
