import { describe, expect, it } from 'vitest';
import { judgeSignature, type KnownTicket, type SignatureVerdict } from '../../src/simulator/signature-check.js';

const t = (value: string, validUntil: number): KnownTicket => ({ credential: { value, issuedAt: 0, expiresAt: validUntil }, validUntil });
const OLD = t('OLD', 1_000);
const CUR = t('CUR', 9_000);

describe('judgeSignature', () => {
  it.each<[string, KnownTicket[], number, string | undefined, SignatureVerdict]>([
    ['no ticket ever issued', [], 500, 'CUR', { valid: false, reason: 'no-ticket' }],
    ['signed with the current ticket', [OLD, CUR], 500, 'CUR', { valid: true, ticket: CUR.credential }],
    ['signed with the previous ticket inside its validity', [OLD, CUR], 999, 'OLD', { valid: true, ticket: OLD.credential }],
    ['signed with the previous ticket after it ended', [OLD, CUR], 1_000, 'OLD', { valid: false, reason: 'expired-ticket', ticket: OLD.credential }],
    ['signed with the current ticket after it expired', [CUR], 9_000, 'CUR', { valid: false, reason: 'expired-ticket', ticket: CUR.credential }],
    ['signed with nothing the app had', [OLD, CUR], 500, undefined, { valid: false, reason: 'mismatch' }],
    ['signed with nothing, all tickets dead', [OLD, CUR], 99_000, undefined, { valid: false, reason: 'mismatch' }],
  ])('%s', (_name, known, now, signer, expected) => {
    expect(judgeSignature(known, now, (ticket) => ticket === signer)).toEqual(expected);
  });
});
