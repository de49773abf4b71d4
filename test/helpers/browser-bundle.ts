/**
 * A client as a browser gets it: esbuild bundles `entry` (a path from the repository root) for the browser platform.
 * The browser-safety tests of the provider, rooms-client and game-client check what went into it.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export function browserBundle(entry: string, external: string[] = []) {
  return esbuild.build({
    entryPoints: [path.join(root, entry)],
    bundle: true,
    platform: "browser",
    format: "esm",
    write: false,
    metafile: true,
    external,
    logLevel: "silent",
  });
}

/** The files bundled from `entry` that `allowed` does not name (an empty list for a browser-safe client). */
export async function foreignInputs(entry: string, allowed: RegExp): Promise<{ foreign: string[]; code: string }> {
  const result = await browserBundle(entry);
  return { foreign: Object.keys(result.metafile.inputs).filter((input) => !allowed.test(input)), code: result.outputFiles[0]!.text };
}
