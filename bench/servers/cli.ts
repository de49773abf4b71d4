/**
 * yparty as users start it: `node bin/yparty.js start --port 0 --no-persist` (or `--persist <dir>`) on the built
 * dist/, in an empty folder so no config is found and every room is a Yjs document. Not under tsx: what runs is
 * what `npm install yparty` runs. Its ready signal is the JSON log line `yparty.ready` (stdout is a pipe, so
 * `start` logs JSON lines).
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { distState } from "../../scripts/dist-state.mjs";
import { BenchError } from "../errors.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const CLI_BIN = join(ROOT, "bin/yparty.js");

export function cliArgs(dir: string | undefined): string[] {
  return [CLI_BIN, "start", "--port", "0", ...(dir ? ["--persist", dir] : ["--no-persist"])];
}

/** The port of the `yparty.ready` log line, or undefined for any other line. */
export function cliReadyPort(line: string): number | undefined {
  if (!line.startsWith("{") || !line.includes('"yparty.ready"')) return undefined;
  return Number(new URL((JSON.parse(line) as { url: string }).url).port);
}

/** Refuses to measure a dist/ that is missing or older than the sources: the figures would be of other code. */
export function assertBuilt(): void {
  const { state, reason } = distState(ROOT);
  if (state === "missing") throw new BenchError("ERR_SERVER_START", "dist/ is missing: run `npm run build` before benchmarking `yparty start`");
  if (state === "stale") throw new BenchError("ERR_SERVER_START", "dist/ is older than the sources: run `npm run build` before benchmarking `yparty start`");
  if (state === "unknown") throw new BenchError("ERR_SERVER_START", `${reason}: fix it, then run \`npm run build\` before benchmarking \`yparty start\``);
}
