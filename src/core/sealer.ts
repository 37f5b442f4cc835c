import { createHash } from 'node:crypto';
import { ConfigError } from '../errors/index.js';
import { createSecretBox, type SecretBox, type SecretBoxOptions } from './secret-box.js';

/**
 * Seals values under the current master key and opens them under any master key the instance has (the current
 * one and the previous ones of a rotation in progress), so instances keep working while a rotation is rolled out.
 *
 * Formats (each part base64url but the key id):
 * - `v2.<keyid>.<iv>.<tag>.<ciphertext>`: what this build writes. The key id names the master key that sealed it
 *   (8 hex digits of a SHA-256 of the key: it identifies the key without weakening it), so opening picks the key
 *   at once and `master-key rotate` knows what still needs re-sealing.
 * - `v1.<iv>.<tag>.<ciphertext>`: written by 0.1.0 (secrets only); opened by trying each key, current first.
 * Both use AES-256-GCM with the context as additional data (core/secret-box.ts).
 */

const CURRENT_FORMAT = 'v2';
const LEGACY_FORMAT = 'v1';

/** A SecretBox over several master keys; what the hub and the sealing store use. */
export interface Sealer {
  /** Seals under the current key: `v2.<keyid>.…`. */
  seal(plaintext: string, context: string): string;
  /** Opens a `v2` or `v1` value under whichever known key sealed it; ConfigError when none did. */
  open(sealed: string, context: string): string;
  /** Whether `value` is in a sealed format (`v1.` or `v2.`); WeChat's tokens and tickets never contain a dot. */
  isSealed(value: string): boolean;
  /** Whether a sealed value is sealed under the current key (nothing to re-seal). */
  isCurrent(sealed: string): boolean;
  /** The current key's id, as written in values it seals. */
  readonly currentKeyId: string;
}

/** The master keys of an instance: `current` seals and opens, `previous` only open. */
export interface SealerKeys {
  readonly current: Buffer;
  readonly previous?: readonly Buffer[];
}

/** The id of a master key as written in sealed values: 8 hex digits of SHA-256("wxtoken:key-id:" + key). */
export function masterKeyId(key: Buffer): string {
  return createHash('sha256').update('wxtoken:key-id:').update(key).digest('hex').slice(0, 8);
}

/** Builds a Sealer; ConfigError for a malformed key. */
export function createSealer(keys: SealerKeys, options: SecretBoxOptions = {}): Sealer {
  const current = { id: masterKeyId(keys.current), box: createSecretBox(keys.current, options) };
  const all = new Map<string, SecretBox>([[current.id, current.box]]);
  for (const key of keys.previous ?? []) {
    const id = masterKeyId(key);
    if (!all.has(id)) all.set(id, createSecretBox(key, options));
  }

  return {
    currentKeyId: current.id,

    seal(plaintext, context) {
      // The box writes `v1.<iv>.<tag>.<ct>`; the key id goes after a new version tag.
      return `${CURRENT_FORMAT}.${current.id}.${current.box.seal(plaintext, context).slice(LEGACY_FORMAT.length + 1)}`;
    },

    open(sealed, context) {
      if (typeof sealed === 'string' && sealed.startsWith(`${CURRENT_FORMAT}.`)) {
        const id = sealed.slice(CURRENT_FORMAT.length + 1, CURRENT_FORMAT.length + 9);
        const box = all.get(id);
        if (box === undefined || sealed[CURRENT_FORMAT.length + 9] !== '.') {
          throw new ConfigError(
            `sealed value for ${JSON.stringify(context)} was sealed with master key ${JSON.stringify(id.replace(/[^0-9a-f]/g, '?'))}, ` +
              `which this instance does not have (its keys: ${[...all.keys()].join(', ')}); set WXTOKEN_MASTER_KEY or WXTOKEN_MASTER_KEY_PREVIOUS`,
          );
        }
        return box.open(`${LEGACY_FORMAT}.${sealed.slice(CURRENT_FORMAT.length + 10)}`, context);
      }
      // 0.1.0's format carries no key id: try each key, the current one first.
      let failure: unknown;
      for (const box of all.values()) {
        try {
          return box.open(sealed, context);
        } catch (err) {
          failure ??= err;
        }
      }
      throw failure;
    },

    isSealed(value) {
      return value.startsWith(`${CURRENT_FORMAT}.`) || value.startsWith(`${LEGACY_FORMAT}.`);
    },

    isCurrent(sealed) {
      return sealed.startsWith(`${CURRENT_FORMAT}.${current.id}.`);
    },
  };
}
