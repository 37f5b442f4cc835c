import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/** A response as read off the wire: status, lower-cased headers and body. `status` is 0 if none arrived. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Everything received, for messages. */
  raw: string;
}

/** Parses the first HTTP/1.1 response in `raw` (bodies with Content-Length, or up to the end). */
export function parseRawResponse(raw: string): RawResponse {
  const match = /^HTTP\/1\.[01] (\d{3})[^\r\n]*\r\n/.exec(raw);
  if (!match) return { status: 0, headers: {}, body: '', raw };
  const end = raw.indexOf('\r\n\r\n');
  const headers: Record<string, string> = {};
  for (const line of raw.slice(match[0].length, end === -1 ? undefined : end).split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = end === -1 ? '' : raw.slice(end + 4);
  const length = headers['content-length'];
  if (length !== undefined) body = Buffer.from(body, 'latin1').subarray(0, Number(length)).toString('utf8');
  return { status: Number(match[1]), headers, body, raw };
}

/**
 * Sends `request` byte for byte (no normalisation of the target, unlike fetch or inject) and reads until the
 * server closes the connection or `timeoutMs` passes. Send `Connection: close` to get the close.
 */
export function rawRequest(port: number, request: string | Buffer, options: { timeoutMs?: number; tls?: boolean; host?: string } = {}): Promise<RawResponse> {
  const host = options.host ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket: Socket = options.tls
      ? tlsConnect({ host, port, rejectUnauthorized: false }, () => socket.write(request))
      : connect({ host, port }, () => socket.write(request));
    const timer = setTimeout(() => socket.destroy(), options.timeoutMs ?? 5_000);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // A reset after (or instead of) an answer is the server closing on us: report what arrived.
      if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') {
        clearTimeout(timer);
        reject(err);
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parseRawResponse(Buffer.concat(chunks).toString('latin1')));
    });
  });
}

/** `METHOD target HTTP/1.1` with Host and Connection: close, plus `headers` and an optional body. */
export function httpRequest(method: string, target: string, options: { headers?: Record<string, string>; body?: string } = {}): string {
  const lines = [`${method} ${target} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
  for (const [name, value] of Object.entries(options.headers ?? {})) lines.push(`${name}: ${value}`);
  if (options.body !== undefined) lines.push(`Content-Length: ${Buffer.byteLength(options.body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${options.body ?? ''}`;
}
