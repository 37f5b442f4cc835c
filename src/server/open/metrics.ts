import { createRequire } from 'node:module';
import type { Gauge as PromGauge } from 'prom-client';
import type { OpenPlatform } from '../../core/open-platform/open-platform.js';
import type { ServerMetrics } from '../metrics.js';

// As in metrics.ts: the metric class is loaded directly, not through prom-client's heavy entry point.
const Gauge = createRequire(import.meta.url)('prom-client/lib/gauge') as typeof PromGauge;

/**
 * The Open Platform's state for the operator, read when /metrics is scraped: each component's verify-ticket age
 * (absent while none is held) and whether one is missing, and the api_start_push_ticket calls this instance made.
 * Labels are component appids only.
 */
export function registerOpenMetrics(metrics: ServerMetrics, open: OpenPlatform): void {
  new Gauge({
    name: 'wxtoken_open_verify_ticket_age_seconds',
    help: "Age of each component's latest verify ticket (from its CreateTime); absent while none is held.",
    labelNames: ['component'] as const,
    registers: [metrics.registry],
    async collect() {
      this.reset();
      for (const c of await open.listComponents()) if ('ageMs' in c.verifyTicket) this.set({ component: c.componentAppid }, Math.floor(c.verifyTicket.ageMs / 1000));
    },
  });
  new Gauge({
    name: 'wxtoken_open_verify_ticket_missing',
    help: '1 while a component has no verify ticket at all (the component token cannot be obtained), else 0.',
    labelNames: ['component'] as const,
    registers: [metrics.registry],
    async collect() {
      this.reset();
      for (const c of await open.listComponents()) this.set({ component: c.componentAppid }, 'ageMs' in c.verifyTicket ? 0 : 1);
    },
  });
  new Gauge({
    name: 'wxtoken_open_start_push_ticket_calls',
    help: 'api_start_push_ticket calls this instance made since it started, by component.',
    labelNames: ['component'] as const,
    registers: [metrics.registry],
    async collect() {
      this.reset();
      for (const c of await open.listComponents()) this.set({ component: c.componentAppid }, open.startPushCalls(c.componentAppid));
    },
  });
}
