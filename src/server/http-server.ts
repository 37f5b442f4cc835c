import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** The connection limits of the node:http server under the app (see the DEFAULT_* constants in options.ts). */
export interface ConnectionLimits {
  readonly requestTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly connectionTimeoutMs: number;
  readonly maxConnections: number;
}

const NOT_A_PATH = JSON.stringify({
  error: { code: 'invalid_request', message: 'the request target must be a path (origin-form), not an absolute URL or *' },
});

/**
 * Refuses, before routing, requests whose target is not a path: absolute-form (`GET http://evil.example/x`) and
 * asterisk-form (`OPTIONS *`). Node accepts both and the router would match the path part of an absolute URL,
 * so a route could act on a target that names another host. One character comparison per request.
 */
export function refuseNonPathTargets(handler: Handler): Handler {
  return (req, res) => {
    if (req.url !== undefined && req.url.charCodeAt(0) === 0x2f /* '/' */) return handler(req, res);
    res.writeHead(400, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(NOT_A_PATH), connection: 'close' });
    res.end(NOT_A_PATH);
  };
}

/**
 * Node checks the request and headers timeouts on a timer with this period, so a slow request is closed between
 * its timeout and its timeout plus this. A tenth of the shorter timeout, at most a second (Node's 30 s default
 * would let a 60 s limit stretch to 90 s).
 */
export function checkingIntervalMs(limits: Pick<ConnectionLimits, 'requestTimeoutMs' | 'headersTimeoutMs'>): number {
  return Math.max(10, Math.min(1_000, Math.floor(Math.min(limits.requestTimeoutMs, limits.headersTimeoutMs) / 10)));
}

/**
 * The node:http server under the Fastify app (Fastify's serverFactory), with the hub's connection limits: slow or
 * idle clients are closed and open connections are capped, so no client can hold descriptors indefinitely.
 */
export function createNodeServer(handler: Handler, limits: ConnectionLimits, tls?: { cert: string | Buffer; key: string | Buffer }): Server {
  const connectionsCheckingInterval = checkingIntervalMs(limits);
  const server: Server =
    tls === undefined
      ? createHttpServer({ connectionsCheckingInterval }, refuseNonPathTargets(handler))
      : // A TLS handshake gets no more time than the headers would: a stalled handshake holds a connection too.
        createHttpsServer({ cert: tls.cert, key: tls.key, handshakeTimeout: limits.headersTimeoutMs, connectionsCheckingInterval }, refuseNonPathTargets(handler));
  applyLimits(server, limits);
  server.on('connect', (req: IncomingMessage, socket: Duplex) => refuseConnect(req, socket, limits.headersTimeoutMs));
  return server;
}

const CONNECT_REFUSED = JSON.stringify({ error: { code: 'method_not_allowed', message: 'the hub is not a proxy: CONNECT is not supported' } });

/**
 * Answers CONNECT, which Node hands to a 'connect' listener instead of the app (and, without one, drops the
 * connection unanswered): 405, then close. The hub tunnels nothing. The socket has left the HTTP server's care (no
 * timeout applies any more), so it is drained, to see the peer's close, and destroyed after `graceMs` at the
 * latest: otherwise a client that keeps it open holds a descriptor for ever and stalls the server's close().
 */
function refuseConnect(_req: IncomingMessage, socket: Duplex, graceMs: number): void {
  socket.on('error', () => {});
  socket.resume();
  setTimeout(() => socket.destroy(), graceMs).unref();
  socket.end(
    `HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(CONNECT_REFUSED)}\r\nConnection: close\r\n\r\n${CONNECT_REFUSED}`,
  );
}

/** Sets the timeouts and the connection cap on a node:http (or https) server. */
export function applyLimits(server: Server, limits: ConnectionLimits): void {
  server.requestTimeout = limits.requestTimeoutMs;
  server.headersTimeout = limits.headersTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.setTimeout(limits.connectionTimeoutMs);
  server.maxConnections = limits.maxConnections;
}
