import type { FastifyInstance } from 'fastify';
import { ConfigError, WxTokenError } from '../errors/index.js';
import { buildSimulatorApp } from './app.js';
import { resolveSimulatorOptions, type SimulatorOptions } from './options.js';
import { SimulatorState } from './state.js';

export type { CorpInput, SimulatorOptions, ResolvedSimulatorOptions, WeComErrmsgStyle } from './options.js';
export {
  SimulatorState,
  type CorpAppTokensView,
  type TokensView,
  type RotateResult,
  type TicketFetchResult,
  type TokenFamily,
} from './state.js';
export { DEFAULT_AGENTID, type CorpAppInput, type CorpAppView } from './wecom-corp.js';
export { JSSDK_VERIFY_KINDS, type VerifyAnswer } from './jssdk-verify.js';
export type { SignatureRefusal } from './signature-check.js';
export { FETCH_KINDS, FETCH_KIND_PATHS, type CountersSnapshot, type EndpointCounts, type FetchKind } from './counters.js';
export { TICKET_ROTATIONS, decideTicket, type TicketRotation } from './ticket-policy.js';
export { FAULT_MODES, type Fault, type FaultMode, type FaultSpec } from './faults.js';
export { TOKEN_PATTERN, isWellFormedToken } from './token-shape.js';
export { RID_PATTERN } from './rid.js';
export { CONTROL_PREFIX } from './routes/control.js';
export { Components, type ComponentCounters, type ComponentInput, type ComponentRecord } from './open-platform/components.js';
export type { PushResult } from './open-platform/pusher.js';

/** A running (or ready-to-run) WeChat simulator. */
export interface Simulator {
  /** The Fastify app; `inject()` works without listening. */
  readonly app: FastifyInstance;
  /** Direct access to the model: the same operations as the control API, for in-process tests. */
  readonly state: SimulatorState;
  /** Listens (default 127.0.0.1, port 0) and resolves to the base URL, e.g. http://127.0.0.1:PORT. */
  listen(options?: { host?: string; port?: number }): Promise<string>;
  /** Stops listening, destroying hanging connections. Safe to call twice. */
  close(): Promise<void>;
}

/** Builds a WeChat simulator; throws ConfigError for a bad option or a bad pre-registered app/corp. */
export function createSimulator(options: SimulatorOptions = {}): Simulator {
  const state = new SimulatorState(resolveSimulatorOptions(options));
  for (const app of options.apps ?? []) asConfig(() => state.registerApp(app), 'apps');
  for (const corp of options.corps ?? []) asConfig(() => state.registerCorp(corp), 'corps');
  for (const component of options.components ?? []) asConfig(() => state.pusher.schedule(state.components.require(state.components.register(component).appid)), 'components');
  const closing = new AbortController();
  const app = buildSimulatorApp(state, closing.signal);
  let closed: Promise<void> | undefined;
  return {
    app,
    state,
    async listen({ host = '127.0.0.1', port = 0 } = {}) {
      await app.listen({ host, port });
      const address = app.server.address();
      if (address === null || typeof address === 'string') throw new Error('the simulator is not listening on TCP');
      const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      return `http://${shown}:${address.port}`;
    },
    close() {
      closed ??= (async () => {
        closing.abort();
        state.pusher.stop();
        await app.close();
      })();
      return closed;
    },
  };
}

function asConfig(register: () => unknown, option: string): void {
  try {
    register();
  } catch (err) {
    if (err instanceof WxTokenError) throw new ConfigError(`simulator option ${option}: ${err.message}`);
    throw err;
  }
}
