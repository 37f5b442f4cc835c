import { describe, expect, it } from 'vitest';
import { TOKEN_PATTERN, isWellFormedToken, newAccessToken, newTicket } from '../../src/simulator/token-shape.js';
import { seededRandom } from './helpers.js';

describe('token shape', () => {
  it('issues tokens like real ones and recognises only that shape', () => {
    const random = seededRandom(7);
    const token = newAccessToken(random);
    expect(token).toMatch(/^\d{2}_[A-Za-z0-9_-]{96}$/);
    expect(isWellFormedToken(token)).toBe(true);
    expect(isWellFormedToken(`74_${'a'.repeat(63)}`)).toBe(false);
    expect(isWellFormedToken(`7_${'a'.repeat(96)}`)).toBe(false);
    expect(isWellFormedToken(`74_${'a'.repeat(96)}=`)).toBe(false);
    expect(isWellFormedToken(`74_${'a'.repeat(510)}`)).toBe(false);
    expect(TOKEN_PATTERN.test(newTicket(random))).toBe(false);
    expect(newTicket(random)).toMatch(/^[A-Za-z0-9_-]{86}$/);
  });
});
