import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { ForwardOutcome } from './healing-forwarder.js';

/** Sends WeChat's answer as it came: status, the passed headers, and the body (a buffer, or streamed). */
export function sendAnswer(reply: FastifyReply, outcome: ForwardOutcome & { kind: 'answer' }): FastifyReply {
  reply.code(outcome.status);
  for (const [name, value] of Object.entries(outcome.headers)) reply.header(name, value);
  return reply.send(Buffer.isBuffer(outcome.body) ? outcome.body : Readable.from(outcome.body, { objectMode: false }));
}
