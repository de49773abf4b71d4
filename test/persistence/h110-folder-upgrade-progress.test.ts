/**
 * The first `yparty start` on a large format-1 folder upgrades it (kv-key-upgrade.ts) for seconds before it listens:
 * it says so on its log, what and why first, how far at most every second, and how long it took, so the user does
 * not take the start for a hang. A folder with nothing to upgrade (format 2 already, or new) says nothing of it.
 */
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CliProcess, projectWith } from "../cli/helpers.js";
import { formatOneKey, formatOneRoom, formatOneValue, makeTempDir, removeDir, writeFormatOneKeys } from "./helpers.js";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** 160 MB of room data: some 3 s of upgrade on an idle machine (more on a busy one), so progress lines. */
const KEYS = 40_000;
const VALUE_BYTES = 4_000;

interface LogLine {
  event: string;
  message?: string;
  ms?: number;
  percent?: number;
}

/** `yparty start` (JSON lines: stdout is a pipe) on `dir`, once it is ready; its log lines up to then. */
async function start(project: string, dir: string): Promise<{ url: string; lines: LogLine[]; cli: CliProcess }> {
  const cli = new CliProcess(["start", "--port", "0", "--persist", dir], { cwd: project });
  cleanups.push(() => cli.stop("SIGKILL"));
  const url = await cli.url();
  const lines = cli.stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as LogLine);
  return { url, lines, cli };
}

const upgradeLines = (lines: LogLine[]) => lines.filter((line) => line.event.startsWith("storage.upgrade"));

describe("the folder upgrade's progress", () => {
  it("a large format-1 folder: the start says what it upgrades and why, how far every second, and how long it took, before it listens", {
    timeout: 90_000,
  }, async () => {
    const project = await projectWith((cleanup) => cleanups.push(cleanup), {
      "partykit.json": JSON.stringify({ name: "progress", main: "src/server.ts" }),
      "src/server.ts":
        "export default class { constructor(room) { this.room = room; } async onRequest() { return Response.json([...(await this.room.storage.list()).entries()]); } }",
    });
    const dir = await makeTempDir();
    cleanups.push(() => removeDir(dir));
    await writeFormatOneKeys(dir, KEYS, VALUE_BYTES);

    const first = await start(project, dir);
    const events = first.lines.map((line) => line.event);
    const started = events.indexOf("storage.upgrade_started");
    const done = events.indexOf("storage.upgrade_done");
    expect(started, events.join(" ")).toBeGreaterThanOrEqual(0);
    expect(done).toBeGreaterThan(started);
    expect(events.indexOf("server.listening")).toBeGreaterThan(done);
    expect(first.lines[started]!.message).toMatch(
      new RegExp(
        `^Upgrading ${dir} from data format 1 to 2 \\(room\\.storage keys into Durable Objects' order\\), once, before the server listens: room data taking some [\\d.]+ MB on disk`,
      ),
    );
    expect(first.lines[started]!.message).toContain("Stopping it meanwhile loses nothing");
    const progress = first.lines.filter((line) => line.event === "storage.upgrade_progress");
    const took = first.lines[done]!;
    expect(took.message).toMatch(new RegExp(`^Upgraded ${dir} to data format 2 in [\\d.]+ s: 40,000 keys \\(16\\d\\.\\d MB\\) read, 40,000 rewritten$`));
    // The folder is big enough to take over a second here, and says how far it is every second of it, no more often.
    expect(took.ms).toBeGreaterThan(1_000);
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress.length).toBeLessThanOrEqual(Math.ceil(took.ms! / 1_000));
    for (const [i, line] of progress.entries()) {
      expect(line.message).toMatch(new RegExp(`^Upgrading ${dir}: step [12] of 2, .*[\\d,]+ keys read`));
      expect(line.ms! - (progress[i - 1]?.ms ?? 0)).toBeGreaterThanOrEqual(999);
    }

    // The folder reads right: a room's every key, under its value.
    const entries = (await (await fetch(`${first.url}/parties/main/r7`)).json()) as Array<[string, string]>;
    const expected = Array.from({ length: KEYS }, (_, i) => i).filter((i) => formatOneRoom(i) === "main/r7");
    expect(new Set(entries.map(([key]) => key))).toEqual(new Set(expected.map(formatOneKey)));
    expect(entries.length).toBe(expected.length);
    for (const [, value] of entries) expect(value).toBe(formatOneValue(VALUE_BYTES));
    expect(await first.cli.stop("SIGTERM")).toBe(0);

    // Upgraded: the next start has nothing to say of it.
    const again = await start(project, dir);
    expect(upgradeLines(again.lines)).toEqual([]);
    expect((await (await fetch(`${again.url}/parties/main/r7`)).json()).length).toBe(expected.length);
  });

  it("a new folder says nothing of an upgrade", { timeout: 30_000 }, async () => {
    const project = await projectWith((cleanup) => cleanups.push(cleanup), {
      "partykit.json": JSON.stringify({ name: "progress", main: "src/server.ts" }),
      "src/server.ts": "export default class { onRequest() { return new Response('ok'); } }",
    });
    const { lines } = await start(project, path.join(project, ".yparty"));
    expect(lines.map((line) => line.event)).toContain("server.listening");
    expect(upgradeLines(lines)).toEqual([]);
  });
});
