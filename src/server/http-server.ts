import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';

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
  return server;
}

/** Sets the timeouts and the connection cap on a node:http (or https) server. */
export function applyLimits(server: Server, limits: ConnectionLimits): void {
  server.requestTimeout = limits.requestTimeoutMs;
  server.headersTimeout = limits.headersTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.setTimeout(limits.connectionTimeoutMs);
  server.maxConnections = limits.maxConnections;
}
