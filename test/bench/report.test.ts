/**
 * The bench report: each yparty variant's figures against the best peer and against the raw relay, and the targets
 * marked on both. Built from made-up run records (no server is started): what is checked is the arithmetic and the
 * columns, not any speed.
 */
import { describe, expect, it } from "vitest";
import { renderMarkdown } from "../../bench/report/markdown.js";
import { summarize, type RunRecord } from "../../bench/report/summary.js";
import type { ServerId } from "../../bench/servers/catalog.js";

const fanout = (server: ServerId, serverCpuPercent: number, p99Ms: number): RunRecord => ({
  run: 1,
  server,
  scenario: "fanout",
  metrics: { serverCpuPercent, p99Ms, p50Ms: 1, p95Ms: 2 },
});
const idle = (server: ServerId, connectsPerSec: number, rssPerConnKB: number): RunRecord => ({
  run: 1,
  server,
  scenario: "idle",
  metrics: { connectsPerSec, rssPerConnKB },
});
const startup = (server: ServerId, startMs: number): RunRecord => ({ run: 1, server, scenario: "startup", metrics: { startMs } });

const records: RunRecord[] = [
  fanout("relay", 10, 4),
  fanout("relay-apply", 16, 4.8),
  fanout("y-websocket", 20, 8),
  fanout("yparty-memory", 12, 4.8),
  fanout("yparty-cli-memory", 15, 6),
  fanout("yparty-cli-leveldb", 18, 7),
  fanout("yparty-leveldb", 16, 5),
  fanout("yparty-leveldb-strict", 17, 9),
  idle("relay", 5000, 8),
  idle("relay-sync", 4000, 10),
  idle("yparty-memory", 3800, 11),
  startup("yparty-cli-memory", 250),
  startup("yparty-memory", 900),
];
const INFO = { date: "2026-12-02T00:00:00Z", profile: "quick", runs: 1, node: "v20", cpus: 2, loadAverage: 0, durationS: 1, chartFile: "x.png" } as const;

describe("bench report", () => {
  const summary = summarize(records);
  const row = (scenario: string, key: string) => summary.rows.find((candidate) => candidate.def.scenario === scenario && candidate.def.key === key)!;

  it("gives every yparty variant its ratio to the relay beside its ratio to the best peer, with both targets judged", () => {
    const cpu = row("fanout", "serverCpuPercent");
    expect(cpu.ratios["yparty-cli-memory"]).toBeCloseTo(0.75);
    expect(cpu.relayRatios["yparty-memory"]).toBeCloseTo(1.2);
    expect(cpu.relayMet["yparty-memory"]).toBe(true);
    expect(cpu.relayRatios["yparty-cli-memory"]).toBeCloseTo(1.5);
    expect(cpu.relayMet["yparty-cli-memory"]).toBe(false);
    expect(cpu.relayRatios["yparty-cli-leveldb"]).toBeCloseTo(1.8);
  });

  it("holds only yparty start to the start-up target, and compares LevelDB's fan-out CPU with memory per way of starting", () => {
    const start = row("startup", "startMs");
    expect(start.met["yparty-cli-memory"]).toBe(true);
    expect(start.met["yparty-memory"]).toBeNull();
    const cli = summary.leveldbCosts.find((cost) => cost.label === "yparty start")!;
    expect(cli.fanoutCpu.value).toBeCloseTo(1.2);
    expect(cli.fanoutCpu.met).toBe(false);
  });

  it("measures what strict durability adds to LevelDB's fan-out p99 against the default, judged against +3 ms", () => {
    expect(summary.strictCost.p99Ms).toEqual({ fast: 5, strict: 9 });
    expect(summary.strictCost.addedMs).toBe(4);
    expect(summary.strictCost.met).toBe(false);
    expect(summary.strictCost.cpuRatio).toBeCloseTo(17 / 16);
    expect(renderMarkdown(summary, INFO)).toContain(
      "Strict durability, LevelDB in process: fan-out p99 9 ms against 5 ms by default (+4 ms ✗, target ≤ +3 ms)",
    );
  });

  it("compares the idle figures with the relay that does the handshake too, beside the plain relay", () => {
    const handshake = (label: string) => summary.likeRelays.find((ratio) => ratio.label === label && ratio.reference === "relay-sync")!;
    expect(row("idle", "connectsPerSec").relayRatios["yparty-memory"]).toBeCloseTo(0.76);
    expect(handshake("connects (open + sync)").ratios["yparty-memory"]).toBeCloseTo(0.95);
    expect(handshake("connects (open + sync)").met["yparty-memory"]).toBe(true);
    expect(row("idle", "rssPerConnKB").relayMet["yparty-memory"]).toBe(false); // 1.375× the plain relay
    expect(handshake("RSS per idle connection").ratios["yparty-memory"]).toBeCloseTo(1.1);
    expect(handshake("RSS per idle connection").met["yparty-memory"]).toBe(true);
    const markdown = renderMarkdown(summary, INFO);
    expect(markdown).toContain(
      "connects (open + sync) against the relay doing the sync handshake with canned frames (its clients handshake too): mem 0.95× ✓  ",
    );
    expect(markdown).toContain(
      "RSS per idle connection against the relay doing the sync handshake with canned frames (its clients handshake too): mem 1.1× ✓  ",
    );
  });

  it("compares the fan-out figures with the relay that applies every update before it forwards it", () => {
    const applied = (label: string) => summary.likeRelays.find((ratio) => ratio.label === label && ratio.reference === "relay-apply")!;
    expect(applied("fan-out server CPU").ratios["yparty-memory"]).toBeCloseTo(0.75);
    expect(applied("fan-out server CPU").met["yparty-memory"]).toBe(true);
    expect(applied("fan-out server CPU").ratios["yparty-cli-leveldb"]).toBeCloseTo(1.125);
    expect(applied("fan-out latency p99").ratios["yparty-cli-memory"]).toBeCloseTo(1.25);
    expect(summary.likeRelays.filter((ratio) => ratio.reference === "relay-apply").map((ratio) => ratio.label)).toEqual([
      "fan-out latency p99",
      "fan-out server CPU",
    ]);
    expect(renderMarkdown(summary, INFO)).toContain(
      "fan-out server CPU against the relay applying each update to its room's Y.Doc before it forwards it (the least validate-before-relay costs): mem 0.75× ✓, ",
    );
  });

  it("prints the relay ratio columns and targets in the Markdown", () => {
    const markdown = renderMarkdown(summary, INFO);
    expect(markdown).toContain(
      "| metric | mem / best peer | mem / relay | LevelDB / best peer | LevelDB / relay | start --no-persist / best peer | start --no-persist / relay |",
    );
    expect(markdown).toMatch(/\| fan-out server CPU \| 0\.6× ✗ \| 1\.2× ✓ \| 0\.8× ✗ \| 1\.6× ✗ \| 0\.75× ✗ \| 1\.5× ✗ \|/);
    expect(markdown).toContain("≤ 1.3× relay");
    expect(markdown).toContain("LevelDB against memory, yparty start:");
  });
});
