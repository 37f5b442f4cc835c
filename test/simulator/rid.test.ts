import { describe, expect, it } from 'vitest';
import { RID_PATTERN, newRid } from '../../src/simulator/rid.js';

describe('rid', () => {
  it('first group is the Unix time in hex, the others random', () => {
    const rid = newRid(1635156704_999, () => 0.5);
    expect(rid).toBe('617682e0-80000000-80000000');
    expect(RID_PATTERN.test(rid)).toBe(true);
    expect(newRid(0, () => 0)).toBe('00000000-00000000-00000000');
  });
});
