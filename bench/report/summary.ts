/**
 * Folds the runs into medians per server and metric, the best peer of each metric, and each yparty variant's
 * ratios: to the best peer (issue 7's targets) and to the raw relay (issue 13's).
 */
import type { Metrics } from "../scenarios/types.js";
import { SERVERS, YPARTY_VARIANTS, type ServerId, type YpartyVariant } from "../servers/catalog.js";
import { median } from "../stats.js";
import { LEVELDB_FANOUT_CPU_MAX, LEVELDB_THROUGHPUT_COST_MAX, METRICS, STRICT_P99_ADDED_MAX_MS, meets, type MetricDef, type Target } from "./metrics.js";

export interface RunRecord {
  run: number;
  server: ServerId;
  scenario: string;
  metrics?: Metrics;
  error?: { code: string; message: string };
}

export interface Row {
  def: MetricDef;
  /** Median over runs; null when the scenario does not apply or failed every run. */
  values: Record<ServerId, number | null>;
  bestPeer: { id: ServerId; value: number } | null;
  /** yparty / best peer. */
  ratios: Record<YpartyVariant, number | null>;
  /** Whether each yparty variant meets the target (null: no target, or no figure). */
  met: Record<YpartyVariant, boolean | null>;
  /** yparty / raw relay, and whether that meets the relay target. */
  relayRatios: Record<YpartyVariant, number | null>;
  relayMet: Record<YpartyVariant, boolean | null>;
}

/** One LevelDB variant against its memory twin (same way of starting). */
export interface LevelDbCost {
  label: string;
  /** Throughput: 1 − LevelDB / memory (issue 7: ≤ 20 %). */
  throughput: { value: number | null; met: boolean | null };
  /** Fan-out server CPU: LevelDB / memory (issue 13: ≤ 1.15×). */
  fanoutCpu: { value: number | null; met: boolean | null };
}

/** Strict durability on LevelDB (in process) against the default: what it adds to the fan-out p99 (issue 13: ≤ 3 ms). */
export interface StrictCost {
  p99Ms: { fast: number | null; strict: number | null };
  addedMs: number | null;
  met: boolean | null;
  /** Fan-out server CPU, strict / default. */
  cpuRatio: number | null;
}

/** A yparty figure against the relay that does part of a document server's work too, like with like. */
export interface LikeRelayRatio {
  label: string;
  /** The relay compared with (`relay-sync` for the idle figures, `relay-apply` for the fan-out's). */
  reference: LikeRelayId;
  ratios: Record<YpartyVariant, number | null>;
  met: Record<YpartyVariant, boolean | null>;
}

/**
 * Which relay each scenario's figures are also set against. The plain relay's clients skip the handshake, whose four
 * frames cost the server time per connect and memory per connection (`relay-sync` does it with canned frames); and it
 * never decodes an update, where a server that validates before it relays applies each one first (`relay-apply` does
 * that and nothing else).
 */
const LIKE_RELAYS = { idle: "relay-sync", fanout: "relay-apply" } as const;
export type LikeRelayId = (typeof LIKE_RELAYS)[keyof typeof LIKE_RELAYS];

export interface Summary {
  rows: Row[];
  leveldbCosts: LevelDbCost[];
  strictCost: StrictCost;
  /** The figures with a relay target, also against the relay that does the same kind of work (`LIKE_RELAYS`). */
  likeRelays: LikeRelayRatio[];
  errors: RunRecord[];
}

/** The memory twin of each LevelDB variant. */
const LEVELDB_PAIRS: ReadonlyArray<{ label: string; leveldb: YpartyVariant; memory: YpartyVariant }> = [
  { label: "createServer in process", leveldb: "yparty-leveldb", memory: "yparty-memory" },
  { label: "yparty start", leveldb: "yparty-cli-leveldb", memory: "yparty-cli-memory" },
];

function medianOf(records: readonly RunRecord[], server: ServerId, scenario: string, key: string): number | null {
  const values = records
    .filter((record) => record.server === server && record.scenario === scenario && record.metrics?.[key] !== undefined)
    .map((record) => record.metrics?.[key] as number)
    .filter((value) => Number.isFinite(value));
  return values.length > 0 ? median(values) : null;
}

function bestPeer(def: MetricDef, values: Record<ServerId, number | null>): Row["bestPeer"] {
  let best: Row["bestPeer"] = null;
  for (const spec of SERVERS.filter((candidate) => candidate.peer)) {
    const value = values[spec.id];
    if (value === null) continue;
    const better = best === null || (def.better === "lower" ? value < best.value : value > best.value);
    if (better) best = { id: spec.id, value };
  }
  return best;
}

const ratioTo = (value: number | null, base: number | null | undefined): number | null => (value === null || base == null || base === 0 ? null : value / base);

/** Whether `measured` meets `target` for `variant` (null: no target for it, or no figure). */
function meetsTarget(target: Omit<Target, "kind"> | undefined, variant: YpartyVariant, measured: number | null): boolean | null {
  if (!target || measured === null || (target.variants && !target.variants.includes(variant))) return null;
  return meets(target.op, measured, target.value);
}

const perVariant = <T>(of: (variant: YpartyVariant) => T): Record<YpartyVariant, T> =>
  Object.fromEntries(YPARTY_VARIANTS.map((variant) => [variant, of(variant)])) as Record<YpartyVariant, T>;

export function summarize(records: readonly RunRecord[]): Summary {
  const rows = METRICS.map((def): Row => {
    const values = Object.fromEntries(SERVERS.map((spec) => [spec.id, medianOf(records, spec.id, def.scenario, def.key)])) as Record<ServerId, number | null>;
    const best = bestPeer(def, values);
    const ratios = perVariant((variant) => ratioTo(values[variant], best?.value));
    const relayRatios = perVariant((variant) => ratioTo(values[variant], values.relay));
    const met = perVariant((variant) => meetsTarget(def.target, variant, def.target?.kind === "ratio" ? ratios[variant] : values[variant]));
    const relayMet = perVariant((variant) => meetsTarget(def.relayTarget, variant, relayRatios[variant]));
    return { def, values, bestPeer: best, ratios, met, relayRatios, relayMet };
  });
  const leveldbCosts = LEVELDB_PAIRS.map(({ label, leveldb, memory }): LevelDbCost => {
    const of = (server: ServerId, scenario: string, key: string) => medianOf(records, server, scenario, key);
    const throughputRatio = ratioTo(of(leveldb, "throughput", "updatesPerSec"), of(memory, "throughput", "updatesPerSec"));
    const throughputCost = throughputRatio === null ? null : 1 - throughputRatio;
    const cpu = ratioTo(of(leveldb, "fanout", "serverCpuPercent"), of(memory, "fanout", "serverCpuPercent"));
    return {
      label,
      throughput: { value: throughputCost, met: throughputCost === null ? null : throughputCost <= LEVELDB_THROUGHPUT_COST_MAX },
      fanoutCpu: { value: cpu, met: cpu === null ? null : cpu <= LEVELDB_FANOUT_CPU_MAX },
    };
  });
  const likeRelays = rows.flatMap((row): LikeRelayRatio[] => {
    const reference = LIKE_RELAYS[row.def.scenario as keyof typeof LIKE_RELAYS];
    if (!reference || !row.def.relayTarget || row.values[reference] === null) return [];
    const ratios = perVariant((variant) => ratioTo(row.values[variant], row.values[reference]));
    const met = perVariant((variant) => meetsTarget(row.def.relayTarget, variant, ratios[variant]));
    return [{ label: row.def.label, reference, ratios, met }];
  });
  return { rows, leveldbCosts, strictCost: strictCost(records), likeRelays, errors: records.filter((record) => record.error) };
}

function strictCost(records: readonly RunRecord[]): StrictCost {
  const fast = medianOf(records, "yparty-leveldb", "fanout", "p99Ms");
  const strict = medianOf(records, "yparty-leveldb-strict", "fanout", "p99Ms");
  const addedMs = fast === null || strict === null ? null : strict - fast;
  const cpuRatio = ratioTo(
    medianOf(records, "yparty-leveldb-strict", "fanout", "serverCpuPercent"),
    medianOf(records, "yparty-leveldb", "fanout", "serverCpuPercent"),
  );
  return { p99Ms: { fast, strict }, addedMs, met: addedMs === null ? null : addedMs <= STRICT_P99_ADDED_MAX_MS, cpuRatio };
}
