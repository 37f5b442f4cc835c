import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

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

/** The node:http server under the Fastify app (Fastify's serverFactory). */
export function createNodeServer(handler: Handler): Server {
  const server = createHttpServer(refuseNonPathTargets(handler));
  // Fastify's default, which a serverFactory must set itself: longer than the 60 s idle timeout of common load
  // balancers, so they never reuse a connection the hub is closing.
  server.keepAliveTimeout = 72_000;
  server.requestTimeout = 0;
  return server;
}
