/**
 * Preloaded into a server child by bench/alloc-sites.ts (`--require`): V8's sampling heap profiler over what the
 * child allocates between two SIGWINCH signals, objects already collected included (every allocation counts, not
 * only what is kept), written on the second signal to `alloc-sites-<pid>.heapprofile` in `ALLOC_PROBE_DIR`.
 */
const { Session } = require("node:inspector");
const { writeFileSync } = require("node:fs");
const { join } = require("node:path");

const session = new Session();
session.connect();
let sampling = false;
process.on("SIGWINCH", () => {
  if (!sampling) {
    sampling = true;
    session.post("HeapProfiler.startSampling", {
      samplingInterval: 128,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    return;
  }
  sampling = false;
  session.post("HeapProfiler.stopSampling", (error, result) => {
    if (error) throw error;
    writeFileSync(join(process.env.ALLOC_PROBE_DIR ?? ".", `alloc-sites-${process.pid}.heapprofile`), JSON.stringify(result.profile));
  });
});
