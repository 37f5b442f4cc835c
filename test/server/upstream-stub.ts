import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';

/** A request as the stub upstream received it. */
export interface ReceivedRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A tiny loopback server standing in for api.weixin.qq.com; records requests, answers as told. */
export interface UpstreamStub {
  baseUrl: string;
  received: ReceivedRequest[];
  /** How the next requests are answered (default: 200 JSON echoing nothing). */
  respond: (req: ReceivedRequest, reply: FastifyReply) => unknown;
  close(): Promise<void>;
}

/** Starts the stub on 127.0.0.1 and an ephemeral port. */
export async function startUpstreamStub(): Promise<UpstreamStub> {
  const server: FastifyInstance = Fastify({ logger: false, bodyLimit: 10 * 1024 * 1024, forceCloseConnections: true });
  server.removeAllContentTypeParsers();
  server.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  const stub: UpstreamStub = {
    baseUrl: '',
    received: [],
    respond: (_req, reply) => reply.header('content-type', 'application/json; encoding=utf-8').send(Buffer.from('{"errcode":0,"errmsg":"ok"}')),
    close: () => server.close(),
  };
  server.all('/*', async (request, reply) => {
    const req: ReceivedRequest = {
      method: request.method,
      url: request.url,
      headers: { ...request.headers },
      body: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
    };
    stub.received.push(req);
    return stub.respond(req, reply);
  });
  stub.baseUrl = await server.listen({ host: '127.0.0.1', port: 0 });
  return stub;
}
