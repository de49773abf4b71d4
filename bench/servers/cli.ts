/**
 * yparty as users start it: `node bin/yparty.js start --port 0 --no-persist` (or `--persist <dir>`) on the built
 * dist/, in an empty folder so no config is found and every room is a Yjs document. Not under tsx: what runs is
 * what `npm install yparty` runs. Its ready signal is the JSON log line `yparty.ready` (stdout is a pipe, so
 * `start` logs JSON lines).
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BenchError } from "../errors.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const CLI_BIN = join(ROOT, "bin/yparty.js");
const BUILT_MAIN = join(ROOT, "dist/server/cli.js");
/** What `npm run build` compiles into dist/. */
const SOURCE_DIRS = ["src", "persistence"];

export function cliArgs(dir: string | undefined): string[] {
  return [CLI_BIN, "start", "--port", "0", ...(dir ? ["--persist", dir] : ["--no-persist"])];
}

/** The port of the `yparty.ready` log line, or undefined for any other line. */
export function cliReadyPort(line: string): number | undefined {
  if (!line.startsWith("{") || !line.includes('"yparty.ready"')) return undefined;
  return Number(new URL((JSON.parse(line) as { url: string }).url).port);
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith(".ts")) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Refuses to measure a dist/ that is missing or older than the sources: the figures would be of other code. */
export function assertBuilt(): void {
  if (!existsSync(BUILT_MAIN)) throw new BenchError("ERR_SERVER_START", "dist/ is missing: run `npm run build` before benchmarking `yparty start`");
  const built = statSync(BUILT_MAIN).mtimeMs;
  const stale = SOURCE_DIRS.some((dir) => newestSource(join(ROOT, dir)) > built);
  if (stale) throw new BenchError("ERR_SERVER_START", "dist/ is older than the sources: run `npm run build` before benchmarking `yparty start`");
}
