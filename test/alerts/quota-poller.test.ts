import { describe, expect, it } from 'vitest';
import { QuotaPoller, type QuotaTarget } from '../../src/alerts/quota-poller.js';
import { ManualClock } from '../../src/util/clock.js';

// 12:00 in Beijing.
const START = Date.UTC(2026, 5, 1, 4);

function setup(targets: QuotaTarget[], options: { fail?: Set<string> } = {}) {
  const clock = new ManualClock(START);
  const asked: string[] = [];
  const warnings: string[] = [];
  const used = new Map<string, number>();
  const poller = new QuotaPoller({
    targets: async () => targets,
    fetchQuota: async (appid, cgiPath) => {
      asked.push(appid);
      if (options.fail?.has(appid)) throw new Error(`GET https://api.weixin.qq.com${cgiPath}?access_token=SECRET-TOKEN failed`);
      const n = (used.get(appid) ?? 0) + 100;
      used.set(appid, n);
      return { used: n, dailyLimit: 2000 };
    },
    clock,
    logger: { info: () => {}, warn: (obj, msg) => void warnings.push(JSON.stringify({ ...obj, msg })), error: () => {} },
    callsPerPoll: 2,
    maxAgeMs: 60_000,
  });
  return { clock, asked, warnings, poller };
}

const apps = (n: number): QuotaTarget[] => Array.from({ length: n }, (_, i) => ({ appid: `wx${i}`, cgiPath: '/cgi-bin/token' }));

describe('QuotaPoller', () => {
  it('asks a few quotas per poll, the missing and oldest first, none younger than the maximum age', async () => {
    const f = setup(apps(3));
    await f.poller.poll();
    expect(f.asked).toEqual(['wx0', 'wx1']);
    await f.clock.advance(1_000);
    await f.poller.poll();
    expect(f.asked).toEqual(['wx0', 'wx1', 'wx2']);
    await f.poller.poll();
    expect(f.asked).toHaveLength(3);
    await f.clock.advance(60_000);
    await f.poller.poll();
    expect(f.asked).toEqual(['wx0', 'wx1', 'wx2', 'wx0', 'wx1']);
    expect(f.poller.readings()).toEqual([
      { appid: 'wx0', api: '/cgi-bin/token', used: 200, limit: 2000 },
      { appid: 'wx1', api: '/cgi-bin/token', used: 200, limit: 2000 },
      { appid: 'wx2', api: '/cgi-bin/token', used: 100, limit: 2000 },
    ]);
  });

  it("forgets yesterday's readings when the Beijing day turns", async () => {
    const f = setup(apps(1));
    await f.poller.poll();
    expect(f.poller.readings()).toHaveLength(1);
    await f.clock.advance(12 * 3_600_000);
    expect(f.poller.readings()).toEqual([]);
  });

  it('logs a failed read without the error message (it may quote a token) and goes on', async () => {
    const f = setup(apps(2), { fail: new Set(['wx0']) });
    await f.poller.poll();
    expect(f.poller.readings().map((r) => r.appid)).toEqual(['wx1']);
    expect(f.warnings.join('\n')).toContain('could not read a WeChat quota');
    expect(f.warnings.join('\n')).not.toContain('SECRET-TOKEN');
  });
});
