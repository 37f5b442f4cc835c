/**
 * The start of a byte stream, read up to a limit: either the whole body (`complete`, when the stream ended within
 * the limit) or the chunks read so far and the iterator holding the rest, which the caller must go on to consume
 * or abandon. Reading stops at the first chunk that crosses the limit, so at most limit + one chunk is held.
 */
export interface BodyPrefix {
  readonly chunks: readonly Buffer[];
  readonly bytes: number;
  readonly complete: boolean;
  readonly rest: AsyncIterator<Uint8Array>;
}

/** Reads `source` until it ends or more than `limit` bytes have arrived. */
export async function readPrefix(source: AsyncIterable<Uint8Array>, limit: number): Promise<BodyPrefix> {
  const rest = source[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let bytes = 0;
  for (;;) {
    const next = await rest.next();
    if (next.done) return { chunks, bytes, complete: true, rest };
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    chunks.push(chunk);
    bytes += chunk.length;
    if (bytes > limit) return { chunks, bytes, complete: false, rest };
  }
}

/** The prefix's chunks followed by the rest of the stream, as one iterable; `onChunk` sees every chunk (for limits and timers). */
export async function* resume(prefix: BodyPrefix, onChunk: (chunk: Buffer) => void = () => {}): AsyncGenerator<Buffer> {
  for (const chunk of prefix.chunks) yield chunk;
  for (;;) {
    const next = await prefix.rest.next();
    if (next.done) return;
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    onChunk(chunk);
    yield chunk;
  }
}
