#!/usr/bin/env node
/**
 * `node scripts/bundle-server.mjs`: the server side of dist/ as one bundle in dist/server/, run after `tsc` (`npm run
 * build`). Loading ~120 files one by one was most of `yparty start`'s time to listening; the bundle's entries load a
 * handful. Every server entry (the CLI, yparty/server, yparty/yjs, yparty/persistence, yparty/rooms, yparty/game) is
 * built together with code splitting, so they share one copy of each module: the CLI and a user's party run one
 * runtime. Packages stay external (one yjs per process). Browser code (provider, clients) is not bundled here: pages
 * bundle it themselves. Types stay where tsc wrote them (dist/src/…/*.d.ts).
 */
import * as esbuild from "esbuild";
import { readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Entry name (dist/server/<name>.js) → the file tsc emitted. src/cli/bundle/modules.ts and package.json name them too. */
export const SERVER_ENTRIES = {
  cli: "dist/src/cli/main.js",
  runtime: "dist/src/runtime/index.js",
  yjs: "dist/src/yjs/index.js",
  "y-partykit-storage": "dist/src/yjs/y-partykit-storage.js",
  persistence: "dist/persistence/index.js",
  rooms: "dist/src/rooms/index.js",
  game: "dist/src/game/index.js",
};

export async function bundleServer() {
  const outdir = path.join(root, "dist", "server");
  const result = await esbuild.build({
    entryPoints: Object.entries(SERVER_ENTRIES).map(([out, file]) => ({ in: path.join(root, file), out })),
    outdir,
    absWorkingDir: root,
    bundle: true,
    splitting: true,
    chunkNames: "[name]-[hash]",
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    sourcemap: "linked",
    logLevel: "warning",
    metafile: true,
  });
  // Chunks are named by their hash: each build (and each test run's, test/cli/global-setup.ts) wrote a new set beside
  // the old ones, which piled up by the thousand and were packed. What this build did not write goes, once it is written.
  const written = new Set(Object.keys(result.metafile.outputs).map((file) => path.resolve(root, file)));
  for (const file of readdirSync(outdir)) {
    if (!written.has(path.join(outdir, file))) rmSync(path.join(outdir, file), { force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await bundleServer();
