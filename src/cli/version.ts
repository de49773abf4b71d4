/**
 * yparty's version, read from its own package.json (for `--version`, the first line of help, and a cluster node's key).
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** yparty's version from its package.json (found by walking up: the CLI runs from src/ or dist/src/). */
export function packageVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 5; depth++, dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
    if (pkg.name === "yparty") return pkg.version ?? "0.0.0";
  }
  return "0.0.0";
}
