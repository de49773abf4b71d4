/**
 * Whether this clone's dist/ is the build of its sources: `npm start` rebuilds a stale one (build-if-stale.mjs),
 * the bench refuses to measure one, and the tests' global set-up builds the same folders. The folders are
 * tsconfig.build.json's `include`, so a new one is never forgotten here.
 */
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

/** The file `npm run build` writes last (the server bundle comes after tsc): its time is the build's. */
const BUILT_MARK = path.join("dist", "server", "cli.js");
const CONFIG = "tsconfig.build.json";

/**
 * The source folders `npm run build` compiles, from tsconfig.build.json. Read as tsc reads it (comments and trailing
 * commas are allowed there: JSON.parse threw on them, and `npm start` stopped on a SyntaxError); throws an Error
 * naming the file when tsc could not read it either.
 */
export function builtSourceDirs(root) {
  const file = path.join(root, CONFIG);
  const text = readFileSync(file, "utf8");
  let config;
  try {
    config = JSON.parse(text);
  } catch {
    // TypeScript's own reader, loaded only for a config plain JSON cannot read (it takes ~0.3 s to load).
    const ts = createRequire(import.meta.url)("typescript");
    const read = ts.parseConfigFileTextToJson(file, text);
    if (read.error) throw new Error(`${CONFIG} cannot be read: ${ts.flattenDiagnosticMessageText(read.error.messageText, "\n")}`);
    config = read.config;
  }
  if (!Array.isArray(config?.include)) throw new Error(`${CONFIG} has no "include" list of source folders`);
  return config.include.filter((dir) => existsSync(path.join(root, dir)));
}

/**
 * The newest time of a .ts file under `dir`. Symbolic links are followed, as tsc follows them (a linked file or folder
 * edited counted for nothing); a folder reached twice (a link back up) is walked once.
 */
function newestSourceTime(dir, walked = new Set()) {
  const real = realpathSync(dir);
  if (walked.has(real)) return 0;
  walked.add(real);
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    const stat = entry.isSymbolicLink() ? statIfThere(full) : entry;
    if (stat?.isDirectory()) newest = Math.max(newest, newestSourceTime(full, walked));
    else if (stat?.isFile() && entry.name.endsWith(".ts")) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

/** A link's target, or undefined when the link is broken (tsc would not see it either). */
function statIfThere(file) {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

/**
 * `state`: "missing" (never built), "stale" (a source is newer than the build), "fresh", or "unknown"
 * (tsconfig.build.json cannot be read; `reason` says why, and a build lets tsc say more).
 */
export function distState(root) {
  const mark = path.join(root, BUILT_MARK);
  if (!existsSync(mark)) return { state: "missing" };
  const built = statSync(mark).mtimeMs;
  let dirs;
  try {
    dirs = builtSourceDirs(root);
  } catch (error) {
    return { state: "unknown", reason: error.message };
  }
  return { state: dirs.some((dir) => newestSourceTime(path.join(root, dir)) > built) ? "stale" : "fresh" };
}
