/** The figures the report shows, in order: label, unit, which way is better, and issue 7's target. */

export interface MetricDef {
  scenario: string;
  key: string;
  label: string;
  unit: string;
  better: "lower" | "higher";
  /** Target on the ratio yparty / best peer (`ratio`) or on yparty's own figure (`absolute`). */
  target?: { kind: "ratio" | "absolute"; op: "<=" | ">=" | "<"; value: number; text: string };
}

/** Issue 7's ratio targets against the best peer. */
const AT_MOST_HALF: MetricDef["target"] = { kind: "ratio", op: "<=", value: 0.5, text: "≤ 0.5×" };
const AT_LEAST_TWICE: MetricDef["target"] = { kind: "ratio", op: ">=", value: 2, text: "≥ 2×" };

export const METRICS: readonly MetricDef[] = [
  { scenario: "fanout", key: "p50Ms", label: "fan-out latency p50", unit: "ms", better: "lower" },
  { scenario: "fanout", key: "p95Ms", label: "fan-out latency p95", unit: "ms", better: "lower" },
  {
    scenario: "fanout", key: "p99Ms", label: "fan-out latency p99", unit: "ms", better: "lower",
    target: AT_MOST_HALF,
  },
  {
    scenario: "fanout", key: "serverCpuPercent", label: "fan-out server CPU", unit: "% core", better: "lower",
    target: AT_MOST_HALF,
  },
  { scenario: "fanout", key: "lostPercent", label: "fan-out receipts lost", unit: "%", better: "lower" },
  { scenario: "fanout", key: "harnessCpuPercent", label: "fan-out client (harness) CPU", unit: "% core", better: "lower" },
  {
    scenario: "throughput", key: "updatesPerSec", label: "throughput ceiling", unit: "updates/s", better: "higher",
    target: AT_LEAST_TWICE,
  },
  { scenario: "throughput", key: "framesPerSec", label: "throughput: update frames at the receiver", unit: "frames/s", better: "higher" },
  { scenario: "throughput", key: "serverCpuPercent", label: "throughput server CPU", unit: "% core", better: "lower" },
  {
    scenario: "idle", key: "rssPerConnKB", label: "RSS per idle connection", unit: "KB", better: "lower",
    target: AT_MOST_HALF,
  },
  {
    scenario: "idle", key: "connectsPerSec", label: "connects (open + sync)", unit: "/s", better: "higher",
    target: AT_LEAST_TWICE,
  },
  { scenario: "idle", key: "baselineRssMB", label: "RSS with no connection", unit: "MB", better: "lower" },
  {
    scenario: "bigDoc", key: "syncMs", label: "big doc: fresh sync time", unit: "ms", better: "lower",
    target: AT_MOST_HALF,
  },
  { scenario: "bigDoc", key: "answeredMs", label: "big doc: fresh sync, step 2 received (before the client applies it)", unit: "ms", better: "lower" },
  { scenario: "bigDoc", key: "syncKB", label: "big doc: fresh sync bytes", unit: "KB", better: "lower" },
  { scenario: "bigDoc", key: "ingestMs", label: "big doc: ingest of all inserts", unit: "ms", better: "lower" },
  { scenario: "bigDoc", key: "rssWithDocMB", label: "big doc: server RSS", unit: "MB", better: "lower" },
  {
    scenario: "coldLoad", key: "coldLoadMs", label: "cold load automerge-paper (ready → synced)", unit: "ms", better: "lower",
    target: { kind: "absolute", op: "<", value: 100, text: "< 100 ms" },
  },
  { scenario: "coldLoad", key: "answeredMs", label: "cold load: ready → whole step 2 received (before the client applies it)", unit: "ms", better: "lower" },
  { scenario: "coldLoad", key: "startToSyncedMs", label: "cold load incl. process start", unit: "ms", better: "lower" },
];

/** LevelDB may cost at most this share of in-memory throughput (issue 7). */
export const LEVELDB_THROUGHPUT_COST_MAX = 0.2;

export function meets(op: "<=" | ">=" | "<", value: number, limit: number): boolean {
  if (!Number.isFinite(value)) return false;
  if (op === "<=") return value <= limit;
  if (op === ">=") return value >= limit;
  return value < limit;
}
