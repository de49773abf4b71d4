/**
 * Every size, count and time limit of the benchmark, in one place. `FULL` is `npm run bench`; `QUICK` is
 * `npm run bench -- --quick` (one run, short windows: a smoke test of the harness, not a measurement).
 */

export interface BenchProfile {
  /** Runs per (scenario, server); the report shows the median of each metric. */
  runs: number;
  fanout: {
    rooms: number;
    clientsPerRoom: number;
    /** Each client sends one insert this often. */
    intervalMs: number;
    /** How long every client keeps sending. */
    durationMs: number;
    /** After the last send, how long receipts may still arrive before the missing ones count as lost. */
    drainMs: number;
  };
  throughput: {
    /** Sending before the window opens (JIT, buffers). */
    warmupMs: number;
    /** The fixed window over which the receiver counts updates. */
    windowMs: number;
    /** The sender tops its socket up to this many unsent bytes, then waits for it to drain. */
    highWaterBytes: number;
    /** Hard cap on updates sent, whatever the rate. */
    maxUpdates: number;
  };
  idle: {
    rooms: number;
    /** Connection counts at which RSS is read; RSS per connection is (last - first) / (count delta). */
    steps: number[];
    /** Connects (open + sync handshake) in flight at once. */
    concurrency: number;
    /** Pause before each RSS reading so the server settles. */
    settleMs: number;
  };
  bigDoc: {
    inserts: number;
    charsPerInsert: number;
    /** Fresh clients that sync the finished document, one after another. */
    freshClients: number;
    /** Ingest of all inserts must finish within this. */
    buildTimeoutMs: number;
  };
  coldLoad: {
    /** Repeats (each a server restart) within one run. */
    restarts: number;
  };
  startup: {
    /** Process starts per run (the first is the run's own); the median is reported. */
    starts: number;
  };
}

export const FULL: BenchProfile = {
  runs: 3,
  fanout: { rooms: 10, clientsPerRoom: 10, intervalMs: 200, durationMs: 10_000, drainMs: 1_000 },
  throughput: { warmupMs: 1_000, windowMs: 3_000, highWaterBytes: 256 * 1024, maxUpdates: 2_000_000 },
  idle: { rooms: 100, steps: [250, 500, 1_000, 2_000], concurrency: 50, settleMs: 500 },
  bigDoc: { inserts: 20_000, charsPerInsert: 8, freshClients: 5, buildTimeoutMs: 60_000 },
  coldLoad: { restarts: 1 },
  startup: { starts: 5 },
};

export const QUICK: BenchProfile = {
  runs: 1,
  fanout: { rooms: 10, clientsPerRoom: 10, intervalMs: 200, durationMs: 2_000, drainMs: 500 },
  throughput: { warmupMs: 300, windowMs: 1_000, highWaterBytes: 256 * 1024, maxUpdates: 500_000 },
  idle: { rooms: 100, steps: [250, 500], concurrency: 50, settleMs: 300 },
  bigDoc: { inserts: 20_000, charsPerInsert: 8, freshClients: 2, buildTimeoutMs: 60_000 },
  coldLoad: { restarts: 1 },
  startup: { starts: 3 },
};

/** Timeouts of the harness machinery (not measurements). */
export const TIMEOUTS = {
  /** A server child must print its ready line within this. */
  serverStartMs: 20_000,
  /** After SIGTERM, a child gets this long to exit before SIGKILL. */
  serverStopMs: 5_000,
  /** One client connect plus sync handshake. */
  connectMs: 15_000,
  /** Waiting for a durable ack of the stored trace (yparty on LevelDB). */
  durableAckMs: 10_000,
  /** PNG rendering with Chromium. */
  chartMs: 30_000,
} as const;

/** The trace document of the cold-load scenario. */
export const TRACE_FILE = "/work/shared/data/editing-traces/automerge-paper.json.gz";

/** The shared text's name in every benchmark document (what a provider-side editor binding would use). */
export const TEXT_NAME = "text";

/** Where results are written. */
export const RESULTS_DIR = new URL("./results/", import.meta.url);
