/**
 * The figures the report shows, in order: label, unit, which way is better, issue 7's target against the best
 * peer and issue 13's against the raw relay.
 */
import type { YpartyVariant } from "../servers/catalog.js";

export interface Target {
  /** On the ratio yparty / best peer (`ratio`) or on yparty's own figure (`absolute`). */
  kind: "ratio" | "absolute";
  op: "<=" | ">=" | "<";
  value: number;
  text: string;
  /** Only these variants are held to it (default: every yparty variant). */
  variants?: readonly YpartyVariant[];
}

export interface MetricDef {
  scenario: string;
  key: string;
  label: string;
  unit: string;
  better: "lower" | "higher";
  target?: Target;
  /** Issue 13's target on the ratio yparty / raw relay (the relay is the physical limit, not a peer). */
  relayTarget?: Omit<Target, "kind">;
}

/** Issue 7's ratio targets against the best peer. */
const AT_MOST_HALF: MetricDef["target"] = { kind: "ratio", op: "<=", value: 0.5, text: "≤ 0.5×" };
const AT_LEAST_TWICE: MetricDef["target"] = { kind: "ratio", op: ">=", value: 2, text: "≥ 2×" };
/** Issue 13's targets against the relay. */
const RELAY_FANOUT: MetricDef["relayTarget"] = { op: "<=", value: 1.3, text: "≤ 1.3× relay" };
const RELAY_RSS: MetricDef["relayTarget"] = { op: "<=", value: 1.2, text: "≤ 1.2× relay" };
const RELAY_CONNECTS: MetricDef["relayTarget"] = { op: ">=", value: 0.9, text: "≥ 0.9× relay" };

/** The fan-out rows of one fan-out scenario (light clients, or clients keeping Y.Docs). */
function fanoutRows(scenario: string, which: string): MetricDef[] {
  return [
    { scenario, key: "p50Ms", label: `fan-out${which} latency p50`, unit: "ms", better: "lower" },
    { scenario, key: "p95Ms", label: `fan-out${which} latency p95`, unit: "ms", better: "lower" },
    {
      scenario,
      key: "p99Ms",
      label: `fan-out${which} latency p99`,
      unit: "ms",
      better: "lower",
      target: AT_MOST_HALF,
      relayTarget: RELAY_FANOUT,
    },
    {
      scenario,
      key: "serverCpuPercent",
      label: `fan-out${which} server CPU`,
      unit: "% core",
      better: "lower",
      target: AT_MOST_HALF,
      relayTarget: RELAY_FANOUT,
    },
    { scenario, key: "serverUserCpuPercent", label: `fan-out${which} server CPU in user space`, unit: "% core", better: "lower" },
    { scenario, key: "serverSystemCpuPercent", label: `fan-out${which} server CPU in the kernel`, unit: "% core", better: "lower" },
    { scenario, key: "lostPercent", label: `fan-out${which} receipts lost`, unit: "%", better: "lower" },
    { scenario, key: "writeCallsPerUpdate", label: `fan-out${which} server write syscalls per update`, unit: "calls", better: "lower" },
    { scenario, key: "writeBytesPerUpdate", label: `fan-out${which} server bytes written per update`, unit: "B", better: "lower" },
    { scenario, key: "harnessCpuPercent", label: `fan-out${which} client (harness) CPU`, unit: "% core", better: "lower" },
  ];
}

export const METRICS: readonly MetricDef[] = [
  ...fanoutRows("fanout", ""),
  ...fanoutRows("fanoutDocs", " (Y.Doc clients)"),
  {
    scenario: "throughput",
    key: "updatesPerSec",
    label: "throughput ceiling",
    unit: "updates/s",
    better: "higher",
    target: AT_LEAST_TWICE,
  },
  { scenario: "throughput", key: "framesPerSec", label: "throughput: update frames at the receiver", unit: "frames/s", better: "higher" },
  { scenario: "throughput", key: "serverCpuPercent", label: "throughput server CPU", unit: "% core", better: "lower" },
  {
    scenario: "idle",
    key: "rssPerConnKB",
    label: "RSS per idle connection",
    unit: "KB",
    better: "lower",
    target: AT_MOST_HALF,
    relayTarget: RELAY_RSS,
  },
  {
    scenario: "idle",
    key: "connectsPerSec",
    label: "connects (open + sync)",
    unit: "/s",
    better: "higher",
    target: AT_LEAST_TWICE,
    relayTarget: RELAY_CONNECTS,
  },
  { scenario: "idle", key: "baselineRssMB", label: "RSS with no connection", unit: "MB", better: "lower" },
  {
    scenario: "bigDoc",
    key: "syncMs",
    label: "big doc: fresh sync time",
    unit: "ms",
    better: "lower",
    target: AT_MOST_HALF,
  },
  { scenario: "bigDoc", key: "answeredMs", label: "big doc: fresh sync, step 2 received (before the client applies it)", unit: "ms", better: "lower" },
  { scenario: "bigDoc", key: "syncKB", label: "big doc: fresh sync bytes", unit: "KB", better: "lower" },
  { scenario: "bigDoc", key: "ingestMs", label: "big doc: ingest of all inserts", unit: "ms", better: "lower" },
  { scenario: "bigDoc", key: "rssWithDocMB", label: "big doc: server RSS", unit: "MB", better: "lower" },
  {
    scenario: "coldLoad",
    key: "coldLoadMs",
    label: "cold load automerge-paper (ready → synced)",
    unit: "ms",
    better: "lower",
    target: { kind: "absolute", op: "<", value: 100, text: "< 100 ms" },
  },
  { scenario: "coldLoad", key: "answeredMs", label: "cold load: ready → whole step 2 received (before the client applies it)", unit: "ms", better: "lower" },
  { scenario: "coldLoad", key: "startToSyncedMs", label: "cold load incl. process start", unit: "ms", better: "lower" },
  {
    scenario: "startup",
    key: "startMs",
    label: "process start → listening",
    unit: "ms",
    better: "lower",
    target: { kind: "absolute", op: "<=", value: 300, text: "`yparty start` ≤ 300 ms", variants: ["yparty-cli-memory", "yparty-cli-leveldb"] },
  },
  { scenario: "startup", key: "bareNodeMs", label: "start → exit of `node -e 0` at the same time (reference)", unit: "ms", better: "lower" },
];

/** LevelDB may cost at most this much fan-out server CPU over memory (issue 13), for each way of starting. */
export const LEVELDB_FANOUT_CPU_MAX = 1.15;

/** LevelDB may cost at most this share of in-memory throughput (issue 7). */
export const LEVELDB_THROUGHPUT_COST_MAX = 0.2;
/** Issue 13: strict durability adds at most this to the fan-out p99 on LevelDB (strict against the default). */
export const STRICT_P99_ADDED_MAX_MS = 3;

export function meets(op: "<=" | ">=" | "<", value: number, limit: number): boolean {
  if (!Number.isFinite(value)) return false;
  if (op === "<=") return value <= limit;
  if (op === ">=") return value >= limit;
  return value < limit;
}
