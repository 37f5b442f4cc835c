import type { FastifyInstance } from 'fastify';
import type { TokenService } from '../core/token-service.js';
import type { ServerMetrics } from './metrics.js';
import type { AuthGuard } from './auth-guard.js';
import { assertBearer } from './auth.js';

const statusSchema = { type: 'object', required: ['status'], properties: { status: { type: 'string' } } } as const;

/** What GET /metrics requires when it is protected: the digest of its bearer key, and the failure throttle. */
export interface MetricsAuth {
  readonly digest: Buffer;
  readonly guard: AuthGuard;
}

/**
 * GET /healthz (the process answers), GET /readyz (the store answers) and, when enabled, GET /metrics, which
 * requires a bearer key when `metricsAuth` is given (it lists every appid).
 */
export function registerHealthRoutes(app: FastifyInstance, service: TokenService, metrics: ServerMetrics | null, metricsAuth: MetricsAuth | null): void {
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
    app.get('/metrics', async (request, reply) => {
      if (metricsAuth !== null) assertBearer(request, metricsAuth.digest, metricsAuth.guard, 'metrics', 'metrics key');
      const text = await metrics.registry.metrics();
      return reply.header('content-type', metrics.registry.contentType).send(text);
    });
  }
}
