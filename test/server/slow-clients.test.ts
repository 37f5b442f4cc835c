import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/index.js';
import {
  DEFAULT_CONNECTION_TIMEOUT_MS,
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  resolveServerOptions,
} from '../../src/server/index.js';
import { FakeTokenService } from './fake-token-service.js';
import { ManualClock } from '../../src/util/clock.js';
import { setup, type Harness } from './helpers.js';

/** Opens a socket and resolves with it once connected. */
function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.on('error', reject);
  });
}

/** Resolves with the milliseconds until the server closes `socket` (and what it sent), or null after `limitMs`. */
function closedWithin(socket: Socket, limitMs: number): Promise<{ afterMs: number; data: string } | null> {
  const started = Date.now();
  let data = '';
  socket.on('data', (d: Buffer) => (data += d.toString('latin1')));
  socket.on('error', () => {});
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), limitMs);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ afterMs: Date.now() - started, data });
    });
  });
}

/** Writes one byte of `text` every `everyMs` until the socket closes. */
function trickle(socket: Socket, text: string, everyMs: number): () => void {
  let i = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || i >= text.length) return;
    socket.write(text[i++]!);
  }, everyMs);
  return () => clearInterval(timer);
}

describe('slow clients are timed out and connections capped (issue 13, finding 4)', () => {
  let h: Harness | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await h?.app.close();
    h = undefined;
  });

  async function listen(overrides: Parameters<typeof setup>[0]): Promise<number> {
    h = await setup(overrides);
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    return (h.app.server.address() as AddressInfo).port;
  }

  it('documents its defaults: 60 s for a whole request, 20 s for headers, 512 connections', () => {
    expect(DEFAULT_REQUEST_TIMEOUT_MS).toBe(60_000);
    expect(DEFAULT_HEADERS_TIMEOUT_MS).toBe(20_000);
    expect(DEFAULT_KEEP_ALIVE_TIMEOUT_MS).toBe(72_000);
    expect(DEFAULT_CONNECTION_TIMEOUT_MS).toBe(120_000);
    expect(DEFAULT_MAX_CONNECTIONS).toBe(512);
    expect(resolveServerOptions({ service: new FakeTokenService(new ManualClock()) })).toMatchObject({
      requestTimeoutMs: 60_000,
      headersTimeoutMs: 20_000,
      keepAliveTimeoutMs: 72_000,
      connectionTimeoutMs: 120_000,
      maxConnections: 512,
    });
  });

  it('closes a request whose body trickles in past the request timeout', async () => {
    const port = await listen({ requestTimeoutMs: 600, headersTimeoutMs: 300 });
    const socket = await open(port);
    sockets.push(socket);
    socket.write('POST /cgi-bin/menu/create?access_token=T HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n');
    const stop = trickle(socket, 'x'.repeat(1000), 100);
    const closed = await closedWithin(socket, 5_000);
    stop();
    expect(closed, 'the server never closed the slow request').not.toBeNull();
    expect(closed!.afterMs).toBeGreaterThanOrEqual(500);
    expect(closed!.afterMs).toBeLessThan(2_500);
    if (closed!.data !== '') expect(closed!.data).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes a request whose headers trickle in past the headers timeout', async () => {
    const port = await listen({ requestTimeoutMs: 2_000, headersTimeoutMs: 400 });
    const socket = await open(port);
    sockets.push(socket);
    const stop = trickle(socket, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ${'y'.repeat(200)}\r\n\r\n`, 100);
    const closed = await closedWithin(socket, 5_000);
    stop();
    expect(closed, 'the server never closed the slow headers').not.toBeNull();
    expect(closed!.afterMs).toBeLessThan(1_500);
  });

  it('closes a connection idle past the connection timeout', async () => {
    const port = await listen({ connectionTimeoutMs: 300 });
    const socket = await open(port);
    sockets.push(socket);
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    const closed = await closedWithin(socket, 5_000);
    expect(closed).not.toBeNull();
    expect(closed!.afterMs).toBeLessThan(1_500);
  });

  it('refuses connections beyond the cap and serves again once they are gone', async () => {
    const port = await listen({ maxConnections: 2 });
    const held = [await open(port), await open(port)];
    sockets.push(...held);
    for (const s of held) s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    await new Promise((r) => setTimeout(r, 50));
    const third = await open(port);
    sockets.push(third);
    third.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const refused = await closedWithin(third, 3_000);
    expect(refused).not.toBeNull();
    expect(refused!.data).toBe('');
    for (const s of held) s.destroy();
    await new Promise((r) => setTimeout(r, 50));
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).toBe(200);
  });

  it('does not let a CONNECT socket outlive its answer: closed after the headers timeout, and close() is not held up', async () => {
    const port = await listen({ headersTimeoutMs: 300, requestTimeoutMs: 600 });
    const serverSide: Socket[] = [];
    h!.app.server.on('connection', (s: Socket) => serverSide.push(s));
    const socket = await open(port);
    sockets.push(socket);
    // A body bigger than socket buffers: the server must read (and discard) it to ever see the client's close.
    socket.write(`CONNECT /v1/apps HTTP/1.1\r\nHost: x\r\nContent-Length: 300000\r\n\r\n${'x'.repeat(300_000)}`);
    const closed = await closedWithin(socket, 5_000);
    expect(closed, 'the client never saw the end of the CONNECT answer').not.toBeNull();
    expect(closed!.data).toMatch(/^HTTP\/1\.1 405 /);
    // The server's end of the connection is released too, not left half-open holding a descriptor.
    await expect.poll(() => serverSide.length === 1 && serverSide[0]!.destroyed, { timeout: 2_000 }).toBe(true);
    const started = Date.now();
    await h!.app.close();
    h = undefined;
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it.each([
    [{ requestTimeoutMs: 0 }, /"requestTimeoutMs"/],
    [{ headersTimeoutMs: Number.NaN }, /"headersTimeoutMs"/],
    [{ requestTimeoutMs: 1_000, headersTimeoutMs: 2_000 }, /"headersTimeoutMs".*must not exceed/],
    [{ keepAliveTimeoutMs: -1 }, /"keepAliveTimeoutMs"/],
    [{ connectionTimeoutMs: Infinity }, /"connectionTimeoutMs"/],
    [{ maxConnections: 0 }, /"maxConnections"/],
    [{ maxConnections: 1.5 }, /"maxConnections"/],
  ])('rejects %o', (bad, message) => {
    const service = new FakeTokenService(new ManualClock());
    expect(() => resolveServerOptions({ service, ...bad })).toThrow(ConfigError);
    expect(() => resolveServerOptions({ service, ...bad })).toThrow(message);
  });
});
