import { InvalidRequestError } from '../errors/index.js';

/** Ways an injected fault can spoil a response (docs/simulator.md describes each). */
export const FAULT_MODES = ['errcode', 'http-502', 'truncated-json', 'empty-body', 'hang', 'reset', 'delay'] as const;

/** One of FAULT_MODES. */
export type FaultMode = (typeof FAULT_MODES)[number];

/** What a test asks for: spoil the next `count` requests to `path` (optionally only those for `appid`). */
export interface FaultSpec {
  path: string;
  mode: FaultMode;
  /** Requests to spoil; default 1. */
  count?: number;
  /** Only requests for this appid / corpid (taken from the query, the body or the token presented). */
  appid?: string;
  /** For mode `errcode`: the code to answer; default -1 (system error). */
  errcode?: number;
  /** For mode `delay`: how long to wait before answering normally. */
  delayMs?: number;
}

/** An armed fault as the control API lists it. */
export interface Fault {
  readonly id: number;
  readonly path: string;
  readonly mode: FaultMode;
  readonly appid: string | undefined;
  readonly errcode: number;
  readonly delayMs: number;
  remaining: number;
}

/** Faults waiting to fire, matched in the order they were added. */
export class FaultRegistry {
  #nextId = 1;
  #faults: Fault[] = [];

  /** Validates `spec` and arms it; throws InvalidRequestError naming the bad field. */
  add(spec: FaultSpec): Fault {
    const input = spec as unknown as Record<string, unknown>;
    if (typeof input.path !== 'string' || !input.path.startsWith('/') || input.path.startsWith('/__sim/')) {
      throw new InvalidRequestError('fault path must be a WeChat path starting with / (not /__sim/)');
    }
    if (typeof input.mode !== 'string' || !(FAULT_MODES as readonly string[]).includes(input.mode)) {
      throw new InvalidRequestError(`fault mode must be one of ${FAULT_MODES.join(', ')}`);
    }
    const count = input.count ?? 1;
    if (!Number.isSafeInteger(count) || (count as number) < 1) throw new InvalidRequestError('fault count must be a positive integer');
    if (input.appid !== undefined && (typeof input.appid !== 'string' || input.appid === '')) {
      throw new InvalidRequestError('fault appid must be a non-empty string');
    }
    const errcode = input.errcode ?? -1;
    if (!Number.isSafeInteger(errcode)) throw new InvalidRequestError('fault errcode must be an integer');
    const delayMs = input.delayMs ?? 0;
    if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0) {
      throw new InvalidRequestError('fault delayMs must be a non-negative number');
    }
    if (input.mode === 'delay' && input.delayMs === undefined) throw new InvalidRequestError('fault mode delay needs delayMs');
    const fault: Fault = {
      id: this.#nextId++,
      path: input.path,
      mode: input.mode as FaultMode,
      appid: input.appid as string | undefined,
      errcode: errcode as number,
      delayMs,
      remaining: count as number,
    };
    this.#faults.push(fault);
    return { ...fault };
  }

  /** Consumes one use of the first fault matching this request, if any. */
  take(path: string, ownerId: string | undefined): Fault | undefined {
    const fault = this.#faults.find((f) => f.path === path && (f.appid === undefined || f.appid === ownerId));
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.#faults = this.#faults.filter((f) => f !== fault);
    return { ...fault };
  }

  /** Disarms every fault; returns how many were armed. */
  clear(): number {
    const n = this.#faults.length;
    this.#faults = [];
    return n;
  }

  /** The armed faults. */
  list(): Fault[] {
    return this.#faults.map((f) => ({ ...f }));
  }
}
