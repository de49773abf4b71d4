/**
 * For profiling only: a server entry bundled by esbuild into one plain-JS file (dependencies stay external)
 * with a source map next to it. V8 profiles of tsx-loaded code point at line 1 of a minified transform; the
 * bundle keeps real lines, and bench/profile-summary.ts maps them back to src/…:line through the map.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const BUNDLE_DIR = fileURLToPath(new URL("../results/bundle.tmp/", import.meta.url));

const bundles = new Map<string, Promise<string>>();

/** The bundled entry's path (built once per harness process). */
export function bundledEntry(script: string): Promise<string> {
  let bundle = bundles.get(script);
  if (!bundle) {
    bundle = (async () => {
      // Inside the project (git-ignored), so the external packages resolve from its node_modules.
      const outfile = join(BUNDLE_DIR, script.replace(/\.ts$/, ".mjs"));
      await build({
        entryPoints: [fileURLToPath(new URL(`./${script}`, import.meta.url))],
        outfile,
        bundle: true,
        platform: "node",
        format: "esm",
        target: "node20",
        packages: "external",
        sourcemap: "linked",
        logLevel: "error",
      });
      return outfile;
    })();
    bundles.set(script, bundle);
  }
  return bundle;
}
