/** Folds the runs into medians per server and metric, the best peer of each metric, and yparty's ratios. */
import type { Metrics } from "../scenarios/types.js";
import { SERVERS, type ServerId } from "../servers/catalog.js";
import { median } from "../stats.js";
import { LEVELDB_THROUGHPUT_COST_MAX, METRICS, meets, type MetricDef } from "./metrics.js";

export interface RunRecord {
  run: number;
  server: ServerId;
  scenario: string;
  metrics?: Metrics;
  error?: { code: string; message: string };
}

export const YPARTY_VARIANTS = ["yparty-memory", "yparty-leveldb"] as const;
export type YpartyVariant = (typeof YPARTY_VARIANTS)[number];

export interface Row {
  def: MetricDef;
  /** Median over runs; null when the scenario does not apply or failed every run. */
  values: Record<ServerId, number | null>;
  bestPeer: { id: ServerId; value: number } | null;
  /** yparty / best peer. */
  ratios: Record<YpartyVariant, number | null>;
  /** Whether each yparty variant meets the target (null: no target, or no figure). */
  met: Record<YpartyVariant, boolean | null>;
}

export interface Summary {
  rows: Row[];
  /** 1 - LevelDB throughput / in-memory throughput. */
  leveldbCost: { value: number | null; met: boolean | null };
  errors: RunRecord[];
}

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

function targetMet(def: MetricDef, value: number | null, ratio: number | null): boolean | null {
  if (!def.target) return null;
  const measured = def.target.kind === "ratio" ? ratio : value;
  return measured === null ? null : meets(def.target.op, measured, def.target.value);
}

export function summarize(records: readonly RunRecord[]): Summary {
  const rows = METRICS.map((def): Row => {
    const values = Object.fromEntries(
      SERVERS.map((spec) => [spec.id, medianOf(records, spec.id, def.scenario, def.key)]),
    ) as Record<ServerId, number | null>;
    const best = bestPeer(def, values);
    const ratio = (id: YpartyVariant): number | null => {
      const value = values[id];
      return value === null || best === null || best.value === 0 ? null : value / best.value;
    };
    const ratios = { "yparty-memory": ratio("yparty-memory"), "yparty-leveldb": ratio("yparty-leveldb") };
    const met = {
      "yparty-memory": targetMet(def, values["yparty-memory"], ratios["yparty-memory"]),
      "yparty-leveldb": targetMet(def, values["yparty-leveldb"], ratios["yparty-leveldb"]),
    };
    return { def, values, bestPeer: best, ratios, met };
  });
  const memory = medianOf(records, "yparty-memory", "throughput", "updatesPerSec");
  const leveldb = medianOf(records, "yparty-leveldb", "throughput", "updatesPerSec");
  const cost = memory && leveldb !== null ? 1 - leveldb / memory : null;
  return {
    rows,
    leveldbCost: { value: cost, met: cost === null ? null : cost <= LEVELDB_THROUGHPUT_COST_MAX },
    errors: records.filter((record) => record.error),
  };
}
