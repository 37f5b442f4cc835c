import { EventEmitter } from 'node:events';

/**
 * Events from the hub's edges (its calls to WeChat and to the store) for metrics. Separate from HubEventMap, which
 * the engine emits: these come from wrappers around fetch and the Store, built before the hub is. No values, no
 * secrets, no URLs with queries: an endpoint path from a fixed list and a Store method name.
 */
export interface OpsEventMap {
  /** One HTTP call to WeChat: which endpoint, how long, and whether an HTTP answer came back at all. */
  upstream_call: [{ endpoint: string; durationMs: number; outcome: 'answered' | 'failed' }];
  /** A Store call rejected with StoreUnavailableError. */
  store_error: [{ operation: string }];
}

/** The subset of EventEmitter observers use, typed by OpsEventMap. */
export interface OpsEvents {
  on<K extends keyof OpsEventMap>(event: K, listener: (...args: OpsEventMap[K]) => void): unknown;
  off<K extends keyof OpsEventMap>(event: K, listener: (...args: OpsEventMap[K]) => void): unknown;
}

/** An emitter of OpsEventMap events. */
export class OpsEmitter extends EventEmitter<OpsEventMap> {}
