import { createHook } from 'node:async_hooks';

// Process-wide on purpose: what it protects (V8's hidden classes) is process-wide, and a second copy of this module
// (say, two installed versions) must find the first one's anchor instead of taking another.
const ANCHOR = Symbol.for('wxtoken.nextTickShapes');

function noop(): void {}

/**
 * Keeps `process.nextTick` fast for the life of the process; call it once, as early as possible (the `wxtoken`
 * CLI does it before loading anything else). Later calls do nothing. Returns whether a queue entry was captured.
 *
 * Why: every `nextTick` call allocates a small queue entry, and Node's HTTP server calls it about seven times per
 * request. The entries die young, so a full garbage collection while none is alive frees their hidden classes
 * (V8 maps). V8 then throws away its optimised `nextTick` ("weak objects") and, meeting new maps, compiles it again
 * with generic property stores: each call costs five to seven times as much (60 → 350–500 ns here) until the
 * process exits. Whether that happens depended on whether a full collection fell during start-up, which loading
 * the hub's modules and routes made likely: in bench:hub it cost about a fifth of the throughput of some processes
 * and none of others. Holding one real entry keeps its maps alive. It is captured through an async hook enabled for
 * the one call (an `init` hook is the only public way to see the entry), then disabled, so nothing else is slowed.
 */
export function anchorNextTickShapes(): boolean {
  const holder = process as unknown as Record<symbol, unknown[] | undefined>;
  const existing = holder[ANCHOR];
  if (existing !== undefined) return existing.length > 0;
  const captured: unknown[] = [];
  const hook = createHook({
    init(_asyncId, type, _triggerAsyncId, resource) {
      if (type === 'TickObject') captured.push(resource);
    },
  });
  hook.enable();
  try {
    process.nextTick(noop);
  } finally {
    hook.disable();
  }
  holder[ANCHOR] = captured;
  return captured.length > 0;
}
