/**
 * Preloaded into a server child by bench/heap-per-connection.ts (`--require`): counts the bytes the child's heap
 * allocates between two SIGWINCH signals, garbage included, from V8's own numbers: the heap's growth plus what each
 * GC freed meanwhile (`v8.GCProfiler`). The second signal writes `{ bytes }` to `alloc-<pid>.json` in the
 * diagnostic folder given as `ALLOC_PROBE_DIR`. SIGWINCH is otherwise ignored by Node, so a child without the probe
 * is not disturbed by it. Plain CommonJS: it loads before any loader (tsx) does.
 */
const { GCProfiler, getHeapStatistics } = require("node:v8");
const { writeFileSync } = require("node:fs");
const { join } = require("node:path");

let running;
process.on("SIGWINCH", () => {
  if (running === undefined) {
    const profiler = new GCProfiler();
    profiler.start();
    running = { profiler, usedAtStart: getHeapStatistics().used_heap_size };
    return;
  }
  const { profiler, usedAtStart } = running;
  running = undefined;
  const usedAtEnd = getHeapStatistics().used_heap_size;
  const freed = profiler.stop().statistics.reduce((sum, gc) => sum + gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize, 0);
  writeFileSync(join(process.env.ALLOC_PROBE_DIR ?? ".", `alloc-${process.pid}.json`), JSON.stringify({ bytes: usedAtEnd - usedAtStart + freed }));
});
