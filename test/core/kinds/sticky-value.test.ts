import { describe, expect, it } from 'vitest';
import { nextStickyRecord, stickyValueUntil } from '../../../src/core/kinds/sticky-value.js';
import type { CredentialRecord } from '../../../src/stores/store.js';

const LIFE = 7_200_000;
const PROBE = LIFE / 8;
const T = 1_000_000_000;

const FINE = LIFE / 240;
/** How long a getticket call takes in these cases. */
const LATENCY = 10;

function record(token: string, obtainedAt: number, expiresAt: number, checkedAt: number, ageKnown: boolean, seenAt = checkedAt + LATENCY): CredentialRecord {
  return { key: 'wx1:jsapi_ticket', version: 3, token, obtainedAt, expiresAt, failure: null, state: { checkedAt, seenAt, ageKnown }, pending: null, invalidations: 0 };
}

describe('nextStickyRecord', () => {
  it.each<[string, CredentialRecord | null, number, string, { obtainedAt: number; expiresAt: number; ageKnown: boolean }]>([
    ['first sight: unknown age, vouched for one probe', null, T, 'A', { obtainedAt: T, expiresAt: T + PROBE, ageKnown: false }],
    ['a record with no value yet is a first sight', { ...record('A', 0, 0, 0, false), token: null, state: null }, T, 'A', { obtainedAt: T, expiresAt: T + PROBE, ageKnown: false }],
    ['unknown age, confirmed again: one more probe', record('A', T, T + PROBE, T, false), T + PROBE, 'A', { obtainedAt: T + PROBE, expiresAt: T + 2 * PROBE, ageKnown: false }],
    ['unknown age, replaced: the successor was issued after the last confirmation', record('A', T, T + PROBE, T, false), T + PROBE, 'B', { obtainedAt: T, expiresAt: T + LIFE, ageKnown: true }],
    ['known age, confirmed before its end: keeps its first-seen expiry', record('B', T, T + LIFE, T, true), T + 600_000, 'B', { obtainedAt: T, expiresAt: T + LIFE, ageKnown: true }],
    ['known age, replaced after its end: the successor lives from that end', record('B', T, T + LIFE, T + 600_000, true), T + LIFE + 5, 'C', { obtainedAt: T + LIFE, expiresAt: T + 2 * LIFE, ageKnown: true }],
    ['known age, alive past the earliest moment it could die: confirmed closely from now on', record('B', T, T + LIFE, T + 600_000, true), T + LIFE + 5, 'B', { obtainedAt: T + LIFE + 5, expiresAt: T + LIFE + 5 + FINE, ageKnown: false }],
    ['confirmed closely, alive again: one more close confirmation', record('B', T + LIFE, T + LIFE + FINE, T + LIFE, false), T + LIFE + FINE, 'B', { obtainedAt: T + LIFE + FINE, expiresAt: T + LIFE + 2 * FINE, ageKnown: false }],
    ['confirmed closely, then replaced: the successor’s issue time is known to within a fine probe', record('B', T + LIFE, T + LIFE + FINE, T + LIFE, false), T + LIFE + FINE, 'C', { obtainedAt: T + LIFE, expiresAt: T + 2 * LIFE, ageKnown: true }],
    ['replaced before its known end (it did not live it): only the confirmation bounds the successor', record('B', T, T + LIFE, T + 600_000, true), T + 700_000, 'C', { obtainedAt: T + 600_000, expiresAt: T + 600_000 + LIFE, ageKnown: true }],
    ['replaced long after the last confirmation: its bound says too little', record('B', T, T + LIFE, T + 600_000, true), T + 3 * LIFE, 'C', { obtainedAt: T + 3 * LIFE, expiresAt: T + 3 * LIFE + PROBE, ageKnown: false }],
  ])('%s', (_name, previous, startedAt, value, expected) => {
    const next = nextStickyRecord({ record: previous, startedAt, returnedAt: startedAt + LATENCY }, value, LIFE);
    expect({ obtainedAt: next.obtainedAt, expiresAt: next.expiresAt, ageKnown: next.state?.ageKnown }).toEqual(expected);
    expect(next.token).toBe(value);
    expect(next.state?.checkedAt).toBe(startedAt);
  });
});

describe('stickyValueUntil', () => {
  it.each<[string, CredentialRecord, number | undefined]>([
    ['issue time known closely: not asked again before it has surely expired', record('C', T, T + LIFE, T + 5, true, T + FINE), T + FINE + LIFE],
    ['issue time known loosely: asked again once it may have expired', record('C', T, T + LIFE, T + 5, true, T + PROBE), T + LIFE],
    ['unknown age: probed as scheduled', record('C', T, T + PROBE, T, false), undefined],
  ])('%s', (_name, r, expected) => {
    expect(stickyValueUntil(r)).toBe(expected);
  });
});
