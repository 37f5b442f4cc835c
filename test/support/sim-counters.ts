import type { Simulator } from '../../src/simulator/index.js';

/** Requests the app made to the access-token endpoints (classic + stable, any mode, failed ones included). */
export function tokenFetches(sim: Simulator, appid: string): number {
  const { requests } = sim.state.counters(appid);
  return requests.classic + requests.stableNormal + requests.stableForce;
}
