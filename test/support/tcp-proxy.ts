/**
 * A TCP proxy on 127.0.0.1 in front of a test server, for putting a client's command "in flight" at will: while a
 * hold is set, a connection whose client sends bytes matching it stops forwarding that client's bytes (the match and
 * everything after, in order) until released, so the command gets no reply. Replies are never held.
 */
import { createServer, connect, type Socket } from 'node:net';

/** A running proxy; `url`-building is the caller's (it knows the scheme). */
export interface TcpProxy {
  port: number;
  /** Holds, on any connection, the client's bytes from the first chunk matching `pattern` on. */
  hold(pattern: RegExp): void;
  /** Forwards what was held and stops holding. */
  release(): void;
  /** Cuts every connection through it (clients see the server go away and reconnect). */
  dropAll(): void;
  /** How many connections are holding bytes now. */
  readonly holding: number;
  /** Closes the proxy and every connection through it. */
  close(): Promise<void>;
}

/** Starts a proxy from a free port on 127.0.0.1 to `targetPort` there. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let pattern: RegExp | null = null;
  const held = new Map<Socket, { upstream: Socket; chunks: Buffer[] }>();
  const sockets = new Set<Socket>();

  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        sockets.delete(s);
        held.delete(client);
        client.destroy();
        upstream.destroy();
      });
    }
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('data', (chunk: Buffer) => {
      const holding = held.get(client);
      if (holding) holding.chunks.push(chunk);
      else if (pattern?.test(chunk.toString('latin1'))) held.set(client, { upstream, chunks: [chunk] });
      else upstream.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');

  return {
    port: address.port,
    hold(p) {
      pattern = p;
    },
    release() {
      pattern = null;
      for (const { upstream, chunks } of held.values()) for (const chunk of chunks) upstream.write(chunk);
      held.clear();
    },
    dropAll() {
      for (const s of sockets) s.destroy();
    },
    get holding() {
      return held.size;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
