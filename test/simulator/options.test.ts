import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/index.js';
import { createSimulator } from '../../src/simulator/index.js';
import { resolveSimulatorOptions } from '../../src/simulator/options.js';

describe('options', () => {
  it('defaults are WeChat values, in milliseconds inside', () => {
    const o = resolveSimulatorOptions();
    expect(o).toMatchObject({
      tokenTtlMs: 7_200_000,
      graceMs: 300_000,
      stableWindowMs: 300_000,
      forceSpacingMs: 30_000,
      forceDailyLimit: 20,
      classicDailyQuota: 2000,
      stableMinuteQuota: 10_000,
      stableDailyQuota: 500_000,
      clearQuotaMonthlyLimit: 10,
      latencyMs: 0,
      wrongSecretErrcode: 40001,
    });
    expect(resolveSimulatorOptions({ tokenTtlSeconds: 1.5 }).tokenTtlMs).toBe(1500);
    expect(o).toMatchObject({ ticketTtlMs: 7_200_000, ticketRotation: 'on-expiry' });
    expect(resolveSimulatorOptions({ tokenTtlSeconds: 4 }).ticketTtlMs).toBe(4000);
    expect(resolveSimulatorOptions({ tokenTtlSeconds: 4, ticketTtlSeconds: 9 })).toMatchObject({ tokenTtlMs: 4000, ticketTtlMs: 9000 });
  });

  it('rejects bad values naming the option and value', () => {
    expect(() => resolveSimulatorOptions({ tokenTtlSeconds: 0 })).toThrow(/tokenTtlSeconds.*got 0/);
    expect(() => resolveSimulatorOptions({ tokenTtlSeconds: 0.0001 })).toThrow(/tokenTtlSeconds/);
    expect(() => resolveSimulatorOptions({ graceSeconds: -1 })).toThrow(/graceSeconds.*got -1/);
    expect(() => resolveSimulatorOptions({ latencyMs: Number.NaN })).toThrow(/latencyMs.*NaN/);
    expect(() => resolveSimulatorOptions({ classicDailyQuota: 1.5 })).toThrow(/classicDailyQuota.*1\.5/);
    expect(() => resolveSimulatorOptions({ ticketTtlSeconds: 0 })).toThrow(/ticketTtlSeconds.*got 0/);
    expect(() => resolveSimulatorOptions({ ticketRotation: 'sometimes' as 'on-fetch' })).toThrow(/ticketRotation.*sometimes/);
    expect(() => resolveSimulatorOptions({ wrongSecretErrcode: 40002 as 40001 })).toThrow(ConfigError);
    expect(() => createSimulator({ apps: [{ appid: 'bad id', secret: 'x' }] })).toThrow(ConfigError);
  });
});
