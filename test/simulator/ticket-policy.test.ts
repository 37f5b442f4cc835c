import { describe, expect, it } from 'vitest';
import { decideTicket, ticketExpiresIn, type TicketDecision, type TicketRotation } from '../../src/simulator/ticket-policy.js';

const T = { value: 'TICKET', issuedAt: 1_000, expiresAt: 8_201_000 };
const GRACE = 300_000;

describe('decideTicket', () => {
  it.each<[string, typeof T | undefined, number, TicketRotation, TicketDecision]>([
    ['on-expiry, no ticket yet → issue', undefined, 5_000, 'on-expiry', { action: 'issue', previousDeadline: Infinity }],
    ['on-expiry, fresh ticket → reuse', T, 1_000, 'on-expiry', { action: 'reuse', ticket: T }],
    ['on-expiry, 1 ms before its end → reuse', T, 8_200_999, 'on-expiry', { action: 'reuse', ticket: T }],
    ['on-expiry, at its end → issue (old one stays expired)', T, 8_201_000, 'on-expiry', { action: 'issue', previousDeadline: Infinity }],
    ['on-expiry, long after → issue', T, 99_000_000, 'on-expiry', { action: 'issue', previousDeadline: Infinity }],
    ['on-fetch, no ticket → issue with grace', undefined, 5_000, 'on-fetch', { action: 'issue', previousDeadline: 5_000 + GRACE }],
    ['on-fetch, fresh ticket → issue with grace', T, 2_000, 'on-fetch', { action: 'issue', previousDeadline: 2_000 + GRACE }],
  ])('%s', (_name, current, now, rotation, expected) => {
    expect(decideTicket(current, now, rotation, GRACE)).toEqual(expected);
  });
});

describe('ticketExpiresIn', () => {
  it.each([
    [7_200_000, 7200],
    [4_500, 4],
    [500, 1],
  ])('%i ms → expires_in %i', (ttl, seconds) => expect(ticketExpiresIn(ttl)).toBe(seconds));
});
