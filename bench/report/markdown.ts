/** The Markdown report: one table of every figure per server, then yparty's ratios to the best peer and to the relay. */
import { SERVERS, YPARTY_VARIANTS, type YpartyVariant } from "../servers/catalog.js";
import { round } from "../stats.js";
import { LEVELDB_FANOUT_CPU_MAX, LEVELDB_THROUGHPUT_COST_MAX, STRICT_P99_ADDED_MAX_MS } from "./metrics.js";
import type { LikeRelayId, Row, Summary } from "./summary.js";

export interface RunInfo {
  date: string;
  profile: "full" | "quick";
  runs: number;
  node: string;
  cpus: number;
  /** 1-minute load average when the bench started (other work on the machine makes figures noisy). */
  loadAverage: number;
  durationS: number;
  /** The PNG next to the report. */
  chartFile: string;
}

const show = (value: number | null): string => (value === null ? "n/a" : String(round(value)));
const mark = (met: boolean | null): string => (met === null ? "" : met ? " ✓" : " ✗");
const times = (ratio: number | null, met: boolean | null): string => (ratio === null ? "n/a" : `${round(ratio)}×${mark(met)}`);

/** yparty / best peer, or the figure itself for an absolute target. */
function peerCell(row: Row, variant: YpartyVariant): string {
  if (row.def.target?.kind === "absolute") return `${show(row.values[variant])}${mark(row.met[variant])}`;
  return times(row.ratios[variant], row.met[variant]);
}

const LIKE_RELAY_NAMES: Record<LikeRelayId, string> = {
  "relay-sync": "the relay doing the sync handshake with canned frames (its clients handshake too)",
  "relay-apply": "the relay applying each update to its room's Y.Doc before it forwards it (the least validate-before-relay costs)",
};

const VARIANT_NAMES: Record<YpartyVariant, string> = {
  "yparty-memory": "mem",
  "yparty-leveldb": "LevelDB",
  "yparty-cli-memory": "start --no-persist",
  "yparty-cli-leveldb": "start --persist",
};

export function renderMarkdown(summary: Summary, info: RunInfo): string {
  const header = ["metric", "unit", ...SERVERS.map((spec) => spec.label), "best peer"];
  const ratioHeader = [
    "metric",
    ...YPARTY_VARIANTS.flatMap((variant) => [`${VARIANT_NAMES[variant]} / best peer`, `${VARIANT_NAMES[variant]} / relay`]),
    "target (peer)",
    "target (relay)",
  ];
  const lines = [
    "# yparty benchmark results",
    "",
    `${info.date} · ${info.profile} profile · median of ${info.runs} run(s) · Node ${info.node} · ${info.cpus} cores · ` +
      `load average at start ${info.loadAverage.toFixed(2)} · took ${Math.round(info.durationS)} s`,
    "",
    "Each server ran alone in its own child process, bound to 127.0.0.1; clients ran in the harness process.",
    "yparty runs two ways: `createServer` in process under tsx (mem, LevelDB), and `yparty start` from the built dist/",
    "as users start it (`--no-persist`, `--persist <dir>`). See docs/benchmarks.md for the method.",
    "",
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
  ];
  for (const row of summary.rows) {
    const best = row.bestPeer ? (SERVERS.find((spec) => spec.id === row.bestPeer?.id)?.label ?? "") : "n/a";
    lines.push(`| ${[row.def.label, row.def.unit, ...SERVERS.map((spec) => show(row.values[spec.id])), best].join(" | ")} |`);
  }
  lines.push(
    "",
    "## Ratios",
    "",
    "Each yparty variant against the best of y-websocket and Hocuspocus for that metric (issue 7's targets), and against the",
    "raw ws relay, the physical limit of a Node WebSocket server here (issue 13's targets). ✓/✗: target met or missed.",
    "",
    `| ${ratioHeader.join(" | ")} |`,
    `| ${ratioHeader.map(() => "---").join(" | ")} |`,
  );
  for (const row of summary.rows) {
    const cells = YPARTY_VARIANTS.flatMap((variant) => [peerCell(row, variant), times(row.relayRatios[variant], row.relayMet[variant])]);
    if (cells.every((cell) => cell === "n/a")) continue;
    lines.push(`| ${[row.def.label, ...cells, row.def.target?.text ?? "", row.def.relayTarget?.text ?? ""].join(" | ")} |`);
  }
  lines.push("");
  for (const cost of summary.leveldbCosts) {
    const throughput = cost.throughput.value === null ? "n/a" : `${round(cost.throughput.value * 100)} %`;
    lines.push(
      `LevelDB against memory, ${cost.label}: throughput cost ${throughput}${mark(cost.throughput.met)} (target ≤ ${LEVELDB_THROUGHPUT_COST_MAX * 100} %), ` +
        `fan-out server CPU ${times(cost.fanoutCpu.value, cost.fanoutCpu.met)} (target ≤ ${LEVELDB_FANOUT_CPU_MAX}×)  `,
    );
  }
  const strict = summary.strictCost;
  if (strict.addedMs !== null) {
    lines.push(
      `Strict durability, LevelDB in process: fan-out p99 ${show(strict.p99Ms.strict)} ms against ${show(strict.p99Ms.fast)} ms by default ` +
        `(${strict.addedMs >= 0 ? "+" : ""}${show(strict.addedMs)} ms${mark(strict.met)}, target ≤ +${STRICT_P99_ADDED_MAX_MS} ms), ` +
        `fan-out server CPU ${times(strict.cpuRatio, null)} of the default  `,
    );
  }
  for (const { label, reference, ratios, met } of summary.likeRelays) {
    const cells = YPARTY_VARIANTS.filter((variant) => ratios[variant] !== null).map(
      (variant) => `${VARIANT_NAMES[variant]} ${times(ratios[variant], met[variant])}`,
    );
    if (cells.length > 0) lines.push(`${label} against ${LIKE_RELAY_NAMES[reference]}: ${cells.join(", ")}  `);
  }
  if (summary.errors.length > 0) {
    lines.push("", "## Failures", "");
    for (const record of summary.errors) {
      lines.push(`- run ${record.run}, ${record.server}, ${record.scenario}: \`${record.error?.code}\` ${record.error?.message.split("\n")[0]}`);
    }
  }
  lines.push("", `![fan-out latency and throughput](./${info.chartFile})`, "");
  return lines.join("\n");
}
