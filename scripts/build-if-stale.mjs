#!/usr/bin/env node
/**
 * `npm start`'s prestart: after a `git pull` (or any edit) the demo would otherwise run the old dist/, and a newcomer
 * would see behaviour the sources no longer have. Rebuilds only when a source is newer than the build, so a start
 * with nothing changed costs a walk of the source folders (a few ms).
 */
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { distState } from "./dist-state.mjs";

const root = process.cwd();

// A pull that changed the dependencies fails the build with "Cannot find module": say what to do first.
const lock = path.join(root, "package-lock.json");
const installed = path.join(root, "node_modules", ".package-lock.json");
if (existsSync(lock) && existsSync(installed) && statSync(lock).mtimeMs > statSync(installed).mtimeMs) {
  process.stderr.write("yparty: package-lock.json is newer than node_modules: run `npm install`\n");
}

const WHY = { missing: "dist/ is missing", stale: "the sources changed since the last build" };
const { state, reason } = distState(root);
if (state !== "fresh") {
  process.stderr.write(`yparty: ${WHY[state] ?? `${reason}; cannot tell whether dist/ is current`}: building (npm run build)…\n`);
  // npm_execpath is the npm that runs this script: the same npm builds, whatever the PATH holds.
  const npm = process.env.npm_execpath;
  const build = npm
    ? spawnSync(process.execPath, [npm, "run", "build"], { stdio: "inherit" })
    : spawnSync("npm", ["run", "build"], { stdio: "inherit", shell: process.platform === "win32" });
  if (build.status !== 0) {
    process.stderr.write("yparty: the build failed (above): fix it, or run `npm install` if a module is missing\n");
    process.exit(build.status ?? 1);
  }
}
