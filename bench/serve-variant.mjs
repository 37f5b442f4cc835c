// `wxtoken serve` (any CLI command, really) with or without a nextTick anchor, for bench:next-tick. With
// WXTOKEN_BENCH_ANCHOR=1 the process holds one real `process.nextTick` queue entry from before the CLI's modules
// load, which keeps the entries' hidden classes alive: the workaround wxtoken shipped until 2026-11-29 (see
// docs/benchmarks.md, "nextTick anchor"), kept here so that its measurement can be repeated.
import { createHook } from 'node:async_hooks';

if (process.env.WXTOKEN_BENCH_ANCHOR === '1') {
  const captured = [];
  // An init hook is the only public way to see a queue entry; enabled for the one call, so nothing else is slowed.
  const hook = createHook({
    init(_asyncId, type, _triggerAsyncId, resource) {
      if (type === 'TickObject') captured.push(resource);
    },
  });
  hook.enable();
  process.nextTick(() => {});
  hook.disable();
  if (captured.length === 0) throw new Error('no nextTick queue entry captured');
  globalThis[Symbol.for('wxtoken.bench.nextTickAnchor')] = captured;
}
await import('../dist/cli/main.js');
