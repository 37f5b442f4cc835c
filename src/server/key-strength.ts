import { ConfigError } from '../errors/index.js';

/** The least random material a bearer key that guards the hub (admin, metrics) must carry. */
export const MIN_KEY_BITS = 128;

/** 22 characters: 128 bits in base64 (the densest encoding a generator prints); hex needs 32. */
export const MIN_KEY_LENGTH = 22;

/** How an operator makes a good key; every rejection says it. */
export const KEY_GENERATION_HINT = 'generate one with `openssl rand -hex 32`';

/**
 * An upper bound on the bits of randomness in `key`, from its length and the character classes it uses: digits
 * count log2(10) bits a character, hex 4, base64 6, others log2 of the union of the classes present (lower,
 * upper, digits, other).
 * Generous on purpose (a random key of the right length always passes); the other checks in weakKeyReason catch
 * the keys a person types.
 */
export function estimateKeyBits(key: string): number {
  if (/^[0-9]+$/.test(key)) return key.length * Math.log2(10);
  if (/^[0-9a-f]+$/.test(key) || /^[0-9A-F]+$/.test(key)) return key.length * 4;
  // Base64 output: a short random one may lack digits by chance (2 % of 22-character keys), so both cases present
  // is enough to count it at 6 bits a character.
  if (/[a-z]/.test(key) && /[A-Z]/.test(key) && /^[A-Za-z0-9+/_-]+=*$/.test(key)) return key.length * 6;
  let pool = 0;
  if (/[a-z]/.test(key)) pool += 26;
  if (/[A-Z]/.test(key)) pool += 26;
  if (/[0-9]/.test(key)) pool += 10;
  if (/[^a-zA-Z0-9]/.test(key)) pool += 33;
  return pool === 0 ? 0 : key.length * Math.log2(pool);
}

/**
 * Why `key` does not look like at least MIN_KEY_BITS of random material, or null when it does. Checks: printable
 * ASCII without spaces; the length and character-class estimate (estimateKeyBits); enough distinct characters;
 * no repeating pattern (`abcabc…`); not mostly runs or steps (`aaaa…`, `abcd…`, `1234…`). A key from a secure
 * generator of the right length passes with overwhelming probability (the test draws thousands).
 */
export function weakKeyReason(key: string): string | null {
  if (!/^[\x21-\x7e]+$/.test(key)) return 'it must be printable ASCII without spaces';
  if (key.length < MIN_KEY_LENGTH) return `it is shorter than ${MIN_KEY_LENGTH} characters`;
  const bits = estimateKeyBits(key);
  if (bits < MIN_KEY_BITS) {
    return `it is too short for its characters (about ${Math.floor(bits)} bits at most; at least ${MIN_KEY_BITS} are needed, e.g. 32 hex digits or 22 base64 characters)`;
  }
  if (new Set(key).size < Math.min(10, Math.ceil(key.length / 4))) return 'it uses too few distinct characters';
  for (let period = 1; period <= key.length / 2; period++) {
    if (key.slice(period) === key.slice(0, key.length - period)) return 'it repeats a pattern';
  }
  let steps = 0;
  for (let i = 1; i < key.length; i++) if (Math.abs(key.charCodeAt(i) - key.charCodeAt(i - 1)) <= 1) steps++;
  // Over 60 % of neighbours equal or consecutive: a random hex key has about 17 % (more than 60 % happens in about
  // one in 30 million), a typed one (`aaaa…`, `abcd…`, `1234…`) nearly 100 %.
  if (steps * 5 > (key.length - 1) * 3) return 'it is mostly runs or sequences of characters';
  return null;
}

/** Throws ConfigError naming `name` (never the key) unless `key` looks like ≥ MIN_KEY_BITS of random material. */
export function assertRandomKey(key: string, name: string): void {
  const reason = typeof key === 'string' ? weakKeyReason(key) : 'it is not a string';
  if (reason !== null) throw new ConfigError(`${name} does not look like a random key: ${reason}; ${KEY_GENERATION_HINT} (value not shown)`);
}
