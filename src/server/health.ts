import type { FastifyInstance } from 'fastify';
import type { TokenService } from '../core/token-service.js';
import type { ServerMetrics } from './metrics.js';

const statusSchema = { type: 'object', required: ['status'], properties: { status: { type: 'string' } } } as const;

/** GET /healthz (the process answers), GET /readyz (the store answers) and, when enabled, GET /metrics. */
export function registerHealthRoutes(app: FastifyInstance, service: TokenService, metrics: ServerMetrics | null): void {
  app.get('/healthz', { schema: { response: { 200: statusSchema } } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { response: { 200: statusSchema, 503: statusSchema } } }, async (request, reply) => {
    let ready = false;
    try {
      ready = await service.isReady();
    } catch (err) {
      request.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'readiness check failed');
    }
    return ready ? { status: 'ok' } : reply.code(503).send({ status: 'unavailable' });
  });

  if (metrics !== null) {
    app.get('/metrics', async (_request, reply) => {
      const text = await metrics.registry.metrics();
      return reply.header('content-type', metrics.registry.contentType).send(text);
    });
  }
}
