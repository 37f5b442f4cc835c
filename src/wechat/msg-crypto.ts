import { createCipheriv, createDecipheriv, createHash, timingSafeEqual } from 'node:crypto';
import { MessageRejectedError } from '../errors/index.js';

/**
 * WeChat's message crypto (WXBizMsgCrypt), used by the Open Platform's authorization-event URL (and by OA/MP safe
 * mode and WeCom callbacks): AES-256-CBC with IV = key[0:16], PKCS#7 padding to a multiple of **32** bytes, and a
 * plaintext of random(16) ‖ msg_len (4 bytes big-endian, UTF-8 bytes) ‖ msg ‖ receiveid. The signature is the SHA-1
 * of the sorted, concatenated [token, timestamp, nonce, encrypt]. (../shared/wechat-open-platform.md §1.)
 *
 * Node's own PKCS#7 unpadding works in 16-byte blocks and throws on WeChat's pads of 17..32, so padding is done here
 * with the cipher's auto-padding off.
 */

/** WeChat pads to a multiple of this many bytes (not the AES block size). */
export const MSG_PAD_BLOCK = 32;
/** The random prefix of every plaintext. */
const RANDOM_BYTES = 16;

/**
 * Decodes an EncodingAESKey (43 characters of [A-Za-z0-9]) into its 32-byte AES key. The published keys carry
 * non-zero trailing bits in their last character, so a strict base64 decoder would refuse them; the charset and
 * length are checked explicitly instead, because Node's lenient decoder would skip a bad character silently.
 */
export function decodeAesKey(encodingAesKey: string): Buffer {
  if (!/^[A-Za-z0-9]{43}$/.test(encodingAesKey)) throw new MessageRejectedError('EncodingAESKey must be 43 letters and digits');
  const key = Buffer.from(`${encodingAesKey}=`, 'base64');
  if (key.length !== 32) throw new MessageRejectedError('EncodingAESKey does not decode to 32 bytes');
  return key;
}

/** Whether a string is a well-formed EncodingAESKey (for validating configuration). */
export function isEncodingAesKey(value: string): boolean {
  return /^[A-Za-z0-9]{43}$/.test(value) && Buffer.from(`${value}=`, 'base64').length === 32;
}

/** `msg_signature`: lower-case hex SHA-1 of the lexicographically sorted, concatenated parts. */
export function msgSignature(token: string, timestamp: string, nonce: string, encrypt: string): string {
  return sha1Sorted([token, timestamp, nonce, encrypt]);
}

/** The plain-mode `signature` (URL verification, plaintext pushes): SHA-1 of sorted [token, timestamp, nonce]. */
export function plainSignature(token: string, timestamp: string, nonce: string): string {
  return sha1Sorted([token, timestamp, nonce]);
}

/** Constant-time comparison of a presented signature with the expected one. */
export function signatureMatches(expected: string, presented: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(presented.toLowerCase(), 'utf8');
  // Hash both so the comparison runs over equal lengths whatever was presented.
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** Encrypts `message` for `receiveId` with a 16-byte random prefix (injected so tests are deterministic). */
export function encryptMessage(key: Buffer, receiveId: string, message: string, random: Buffer): string {
  if (random.length !== RANDOM_BYTES) throw new RangeError(`the random prefix must be ${RANDOM_BYTES} bytes`);
  const body = Buffer.from(message, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length, 0);
  const plain = Buffer.concat([random, length, body, Buffer.from(receiveId, 'utf8')]);
  const pad = MSG_PAD_BLOCK - (plain.length % MSG_PAD_BLOCK);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(Buffer.concat([plain, Buffer.alloc(pad, pad)])), cipher.final()]).toString('base64');
}

/** A decrypted message and the receiveid it was addressed to. */
export interface DecryptedMessage {
  readonly message: string;
  readonly receiveId: string;
}

/**
 * Decrypts `encrypt` (base64). Rejects with MessageRejectedError on a ciphertext that is not whole AES blocks, a pad
 * outside 1..32 or not uniform, or a length field that runs past the plaintext. The caller checks the receiveid.
 */
export function decryptMessage(key: Buffer, encrypt: string): DecryptedMessage {
  const data = Buffer.from(encrypt, 'base64');
  if (data.length === 0 || data.length % 16 !== 0) throw new MessageRejectedError('ciphertext is not a whole number of AES blocks');
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
  decipher.setAutoPadding(false);
  const padded = Buffer.concat([decipher.update(data), decipher.final()]);
  const pad = padded[padded.length - 1]!;
  if (pad < 1 || pad > MSG_PAD_BLOCK || pad > padded.length) throw new MessageRejectedError('bad padding');
  for (let i = padded.length - pad; i < padded.length; i++) if (padded[i] !== pad) throw new MessageRejectedError('bad padding');
  const plain = padded.subarray(0, padded.length - pad);
  if (plain.length < RANDOM_BYTES + 4) throw new MessageRejectedError('plaintext too short');
  const length = plain.readUInt32BE(RANDOM_BYTES);
  const start = RANDOM_BYTES + 4;
  if (start + length > plain.length) throw new MessageRejectedError('message length runs past the plaintext');
  return {
    message: plain.subarray(start, start + length).toString('utf8'),
    receiveId: plain.subarray(start + length).toString('utf8'),
  };
}

/**
 * Verifies and decrypts a pushed message: the signature over `encrypt` (constant time), then the decryption, then
 * that it was addressed to `receiveId` (a hub serving several components must never take one's push for another's).
 */
export function openMessage(
  config: { token: string; key: Buffer; receiveId: string },
  query: { msgSignature: string; timestamp: string; nonce: string },
  encrypt: string,
): string {
  if (!signatureMatches(msgSignature(config.token, query.timestamp, query.nonce, encrypt), query.msgSignature)) {
    throw new MessageRejectedError('msg_signature does not match');
  }
  const { message, receiveId } = decryptMessage(config.key, encrypt);
  if (receiveId !== config.receiveId) throw new MessageRejectedError('message is addressed to another AppId');
  return message;
}

/** Seals a message as WeChat pushes it: `{encrypt, msgSignature}` for the given timestamp and nonce. */
export function sealMessage(
  config: { token: string; key: Buffer; receiveId: string },
  message: string,
  options: { timestamp: string; nonce: string; random: Buffer },
): { encrypt: string; msgSignature: string } {
  const encrypt = encryptMessage(config.key, config.receiveId, message, options.random);
  return { encrypt, msgSignature: msgSignature(config.token, options.timestamp, options.nonce, encrypt) };
}

function sha1Sorted(parts: string[]): string {
  return createHash('sha1').update([...parts].sort().join('')).digest('hex');
}
