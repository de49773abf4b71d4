/**
 * Builds dist/ once before the tests, so the tests that spawn `bin/yparty.js` run the current code.
 * esbuild transpiles every file to the same layout `tsc -p tsconfig.build.json` emits (~1 s here, where tsc
 * takes 12-28 s), then `scripts/bundle-server.mjs` bundles the server side as `npm run build` does; type checking
 * stays with `npm run typecheck`, which `npm test` runs first.
 */
import * as esbuild from "esbuild";
import { readdirSync, rmSync } from "node:fs";
import { bundleServer } from "../../scripts/bundle-server.mjs";
import { builtSourceDirs } from "../../scripts/dist-state.mjs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

export default async function buildDist(): Promise<void> {
  const entryPoints = builtSourceDirs(root).flatMap((dir) =>
    readdirSync(path.join(root, dir), { recursive: true, encoding: "utf8" })
      .filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts"))
      .map((file) => path.join(root, dir, file)),
  );
  const result = await esbuild
    .build({
      entryPoints,
      outdir: path.join(root, "dist"),
      outbase: root,
      absWorkingDir: root,
      format: "esm",
      platform: "node",
      target: "node20",
      sourcemap: true,
      logLevel: "silent",
    })
    .catch((error: { errors?: esbuild.Message[] }) => ({ errors: error.errors ?? [] }));
  // A half-written file of another part must not stop every suite: report it, and the tests that need it fail.
  if (result.errors.length > 0) {
    const text = await esbuild.formatMessages(result.errors, { kind: "error" });
    process.stderr.write(`[global-setup] dist build had errors:\n${text.join("")}`);
  }
  // No stale bundle either: without one, the tests that spawn the CLI fail and say so.
  await bundleServer().catch((error: unknown) => {
    rmSync(path.join(root, "dist", "server"), { recursive: true, force: true });
    process.stderr.write(`[global-setup] the server bundle failed: ${String(error)}\n`);
  });
}
