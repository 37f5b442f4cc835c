import { describe, expect, it } from 'vitest';
import { DEFAULT_PUSH_MAX_SKEW_MS, pushTimestampProblem, replayMarker } from '../../../src/core/open-platform/push-guard.js';

const NOW = 1_700_000_000_000;

describe('pushTimestampProblem', () => {
  it.each([
    ['now', String(NOW / 1000), null],
    ['5 min ago (the limit)', String(NOW / 1000 - 300), null],
    ['5 min ahead (the limit)', String(NOW / 1000 + 300), null],
    ['5 min 1 s ago', String(NOW / 1000 - 301), /301 s/],
    ['an hour ahead', String(NOW / 1000 + 3600), /3600 s/],
    ['not a number', 'abc', /not a number/],
    ['empty', '', /not a number/],
    ['milliseconds by mistake', String(NOW), /not a number/],
    ['a year ago', String(NOW / 1000 - 31_536_000), /from the hub/],
  ])('%s', (_name, timestamp, expected) => {
    const problem = pushTimestampProblem(timestamp, NOW, DEFAULT_PUSH_MAX_SKEW_MS);
    if (expected === null) expect(problem).toBeNull();
    else expect(problem).toMatch(expected);
  });
});

describe('replayMarker', () => {
  it('is per component and per signature, case-insensitive, and does not contain the signature', () => {
    const sig = '5d197aaffba7e9b25a30732f161a50dee96bd5fa';
    expect(replayMarker('wxc1', sig)).toBe(replayMarker('wxc1', sig.toUpperCase()));
    expect(replayMarker('wxc1', sig)).not.toBe(replayMarker('wxc2', sig));
    expect(replayMarker('wxc1', sig)).not.toContain(sig);
  });
});
