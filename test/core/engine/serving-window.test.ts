import { describe, expect, it } from 'vitest';
import { servingWindow } from '../../../src/core/engine/serving-window.js';

const timing = { refreshLeadMs: 180_000, serveMarginMs: 30_000, referenceLifetimeMs: 7_200_000 };
const T = 1_000_000_000;

describe('servingWindow', () => {
  it.each([
    ['a full-length token: served until 30 s before expiry, refreshed 180 s before', { token: 'a', obtainedAt: T, expiresAt: T + 7_200_000 }, undefined, { issued: { token: 'a', expiresAt: T + 7_170_000 }, refreshAt: T + 7_020_000 }],
    ['a 72 s token: lead and margin scaled to 1/100', { token: 'a', obtainedAt: T, expiresAt: T + 72_000 }, undefined, { issued: { token: 'a', expiresAt: T + 71_700 }, refreshAt: T + 70_200 }],
    ['no value', { token: null, obtainedAt: 0, expiresAt: 0 }, undefined, { issued: null, refreshAt: 0 }],
    ['a sticky value is not refreshed before upstream could answer another', { token: 'a', obtainedAt: T, expiresAt: T + 7_200_000 }, T + 7_200_000, { issued: { token: 'a', expiresAt: T + 7_170_000 }, refreshAt: T + 7_200_000 }],
  ])('%s', (_name, value, sticky, expected) => {
    expect(servingWindow(value, timing, sticky)).toEqual(expected);
  });
});
