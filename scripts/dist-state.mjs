/**
 * Whether this clone's dist/ is the build of its sources: `npm start` rebuilds a stale one (build-if-stale.mjs),
 * the bench refuses to measure one, and the tests' global set-up builds the same folders. The folders are
 * tsconfig.build.json's `include`, so a new one is never forgotten here.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

/** The file `npm run build` writes last (the server bundle comes after tsc): its time is the build's. */
const BUILT_MARK = path.join("dist", "server", "cli.js");

/** The source folders `npm run build` compiles, from tsconfig.build.json. */
export function builtSourceDirs(root) {
  const config = JSON.parse(readFileSync(path.join(root, "tsconfig.build.json"), "utf8"));
  return config.include.filter((dir) => existsSync(path.join(root, dir)));
}

function newestSourceTime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith(".ts")) {
      newest = Math.max(newest, statSync(path.join(entry.parentPath ?? entry.path, entry.name)).mtimeMs);
    }
  }
  return newest;
}

/** "missing" (never built), "stale" (a source is newer than the build) or "fresh". */
export function distState(root) {
  const mark = path.join(root, BUILT_MARK);
  if (!existsSync(mark)) return "missing";
  const built = statSync(mark).mtimeMs;
  return builtSourceDirs(root).some((dir) => newestSourceTime(path.join(root, dir)) > built) ? "stale" : "fresh";
}
