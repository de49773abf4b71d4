/** The Markdown report: one table of every figure per server, yparty's ratios to the best peer, targets. */
import { SERVERS } from "../servers/catalog.js";
import { round } from "../stats.js";
import { LEVELDB_THROUGHPUT_COST_MAX } from "./metrics.js";
import { YPARTY_VARIANTS, type Row, type Summary } from "./summary.js";

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

function ratioCell(row: Row, variant: (typeof YPARTY_VARIANTS)[number]): string {
  if (row.def.target?.kind === "absolute") return `${show(row.values[variant])}${mark(row.met[variant])}`;
  const ratio = row.ratios[variant];
  return ratio === null ? "n/a" : `${round(ratio)}×${mark(row.met[variant])}`;
}

export function renderMarkdown(summary: Summary, info: RunInfo): string {
  const header = ["metric", "unit", ...SERVERS.map((spec) => spec.label), "best peer", "yparty mem / best", "yparty LevelDB / best", "target"];
  const lines = [
    "# yparty benchmark results",
    "",
    `${info.date} · ${info.profile} profile · median of ${info.runs} run(s) · Node ${info.node} · ${info.cpus} cores · ` +
      `load average at start ${info.loadAverage.toFixed(2)} · took ${Math.round(info.durationS)} s`,
    "",
    "Each server ran alone in its own child process, bound to 127.0.0.1; clients ran in the harness process.",
    "Ratios compare each yparty variant with the best of y-websocket and Hocuspocus for that metric; the raw ws relay is",
    "the physical limit, not a peer. ✓/✗: issue 7's target met or missed. See docs/benchmarks.md for the method.",
    "",
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
  ];
  for (const row of summary.rows) {
    const best = row.bestPeer ? SERVERS.find((spec) => spec.id === row.bestPeer?.id)?.label ?? "" : "n/a";
    const cells = [
      row.def.label,
      row.def.unit,
      ...SERVERS.map((spec) => show(row.values[spec.id])),
      best,
      ratioCell(row, "yparty-memory"),
      ratioCell(row, "yparty-leveldb"),
      row.def.target?.text ?? "",
    ];
    lines.push(`| ${cells.join(" | ")} |`);
  }
  const cost = summary.leveldbCost;
  lines.push(
    "",
    `LevelDB cost on throughput (1 − LevelDB / memory): ${cost.value === null ? "n/a" : `${round(cost.value * 100)} %`}` +
      `${mark(cost.met)} (target ≤ ${LEVELDB_THROUGHPUT_COST_MAX * 100} %)`,
  );
  if (summary.errors.length > 0) {
    lines.push("", "## Failures", "");
    for (const record of summary.errors) {
      lines.push(`- run ${record.run}, ${record.server}, ${record.scenario}: \`${record.error?.code}\` ${record.error?.message.split("\n")[0]}`);
    }
  }
  lines.push("", `![fan-out latency and throughput](./${info.chartFile})`, "");
  return lines.join("\n");
}
