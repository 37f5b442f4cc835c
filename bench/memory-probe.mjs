// Preloaded into `wxtoken serve` by bench/memory.mjs (node --expose-gc --import bench/memory-probe.mjs …): on
// SIGUSR2 it runs full garbage collections, prints one `WXTOKEN_MEMORY {json}` line on stderr with
// process.memoryUsage() and the V8 heap statistics, and, when BENCH_HEAP_SNAPSHOT names a file, writes a heap
// snapshot there. The hub itself is not changed.
import { getHeapSpaceStatistics, getHeapStatistics, writeHeapSnapshot } from 'node:v8';

process.on('SIGUSR2', () => {
  if (typeof globalThis.gc !== 'function') {
    process.stderr.write('WXTOKEN_MEMORY {"error":"run with --expose-gc"}\n');
    return;
  }
  // Several passes: the first frees what the second's finalizers and weak references then let go of.
  for (let i = 0; i < 3; i++) globalThis.gc();
  const usage = process.memoryUsage();
  const heap = getHeapStatistics();
  // Where V8's reserved heap sits (new space grows under allocation pressure and shrinks only later).
  const spaces = Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, Math.round(s.space_size / 1024)]));
  let snapshot;
  if (process.env.BENCH_HEAP_SNAPSHOT) snapshot = writeHeapSnapshot(process.env.BENCH_HEAP_SNAPSHOT);
  process.stderr.write(`WXTOKEN_MEMORY ${JSON.stringify({ ...usage, heapLimit: heap.heap_size_limit, mallocedMemory: heap.malloced_memory, spacesKb: spaces, snapshot })}\n`);
});
