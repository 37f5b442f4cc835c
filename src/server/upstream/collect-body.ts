import { PayloadTooLargeError } from '../../errors/index.js';

/** Reads a whole request body into memory, refusing (PayloadTooLargeError, 413) one over `limit` bytes. */
export async function collectBody(source: AsyncIterable<Uint8Array>, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of source) {
    bytes += chunk.length;
    if (bytes > limit) throw new PayloadTooLargeError(limit);
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  }
  return Buffer.concat(chunks, bytes);
}

/** Whether a value is a readable byte stream (what a streaming content-type parser leaves in request.body). */
export function isByteStream(value: unknown): value is AsyncIterable<Uint8Array> {
  return value !== null && typeof value === 'object' && Symbol.asyncIterator in value;
}

/** The Content-Length a request declared, if it declared a valid one. */
export function declaredLength(request: { readonly headers: { readonly 'content-length'?: string | undefined } }): number | undefined {
  const value = request.headers['content-length'];
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}
