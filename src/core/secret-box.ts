import { createCipheriv, createDecipheriv, randomBytes as cryptoRandomBytes } from 'node:crypto';
import { ConfigError } from '../errors/index.js';

/** The sealed-value format version; `open` refuses others so a future format is never misread. */
const VERSION = 'v1';
/** AES-256-GCM: a 32-byte key, a 96-bit IV (the size GCM is defined for) and a 128-bit tag. */
export const MASTER_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Seals and opens secrets with the master key; `context` (the appid) is authenticated but not stored. */
export interface SecretBox {
  /** Encrypts `plaintext` bound to `context`: `v1.<iv>.<tag>.<ciphertext>`, each base64url. */
  seal(plaintext: string, context: string): string;
  /** Decrypts a sealed value; ConfigError if it was tampered with, sealed under another key or another context. */
  open(sealed: string, context: string): string;
}

/** Options for createSecretBox. */
export interface SecretBoxOptions {
  /** Source of IVs. Default: node:crypto randomBytes. Tests inject a fixed one. */
  randomBytes?: (size: number) => Buffer;
}

/**
 * A SecretBox over AES-256-GCM with `key`. The context is the GCM additional data, so a sealed AppSecret copied onto
 * another app's row fails to open instead of handing app B the secret of app A.
 */
export function createSecretBox(key: Buffer, options: SecretBoxOptions = {}): SecretBox {
  if (!Buffer.isBuffer(key) || key.length !== MASTER_KEY_BYTES) {
    throw new ConfigError(`master key must be ${MASTER_KEY_BYTES} bytes, got ${Buffer.isBuffer(key) ? key.length : typeof key}`);
  }
  // A private copy: the caller zeroing or reusing its buffer must not change what this box encrypts with.
  const secretKey = Buffer.from(key);
  const random = options.randomBytes ?? cryptoRandomBytes;

  return {
    seal(plaintext, context) {
      const iv = random(IV_BYTES);
      if (iv.length !== IV_BYTES) throw new ConfigError(`secret box randomBytes must return ${IV_BYTES} bytes`);
      const cipher = createCipheriv('aes-256-gcm', secretKey, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(aad(context));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [VERSION, iv.toString('base64url'), tag.toString('base64url'), ciphertext.toString('base64url')].join('.');
    },

    open(sealed, context) {
      const parts = typeof sealed === 'string' ? sealed.split('.') : [];
      const [version, ivText, tagText, ciphertextText] = parts;
      if (parts.length !== 4 || version !== VERSION) {
        throw new ConfigError(`sealed secret for ${JSON.stringify(context)} is not in the ${VERSION} format`);
      }
      const iv = Buffer.from(ivText!, 'base64url');
      const tag = Buffer.from(tagText!, 'base64url');
      const ciphertext = Buffer.from(ciphertextText!, 'base64url');
      if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
        throw new ConfigError(`sealed secret for ${JSON.stringify(context)} is malformed`);
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', secretKey, iv, { authTagLength: TAG_BYTES });
        decipher.setAAD(aad(context));
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
      } catch {
        // No cause: nothing about the key or the value belongs in the error.
        throw new ConfigError(
          `sealed secret for ${JSON.stringify(context)} cannot be opened: it was sealed with another master key ` +
            `(check WXTOKEN_MASTER_KEY or the key file) or has been altered`,
        );
      }
    },
  };
}

function aad(context: string): Buffer {
  // Prefixed so the same key could later seal other kinds of values without one passing for another.
  return Buffer.from(`wxtoken:secret:${context}`, 'utf8');
}
