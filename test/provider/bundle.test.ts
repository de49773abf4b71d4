/** The provider is browser-safe: esbuild bundles it for the browser platform, with no Node module in sight. */
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { describe, expect, it } from "vitest";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

async function bundle(entry: string, external: string[] = []) {
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

const ALLOWED_INPUTS = /^(provider\/|src\/protocol\/|node_modules\/(yjs|y-protocols|lib0)\/)/;

describe("browser bundle", () => {
  for (const [entry, external] of [
    ["provider/index.ts", []],
    ["provider/react.ts", ["react"]],
  ] as const) {
    it(`${entry} bundles for the browser from provider/, src/protocol/, yjs, y-protocols and lib0 only`, async () => {
      const result = await bundle(entry, [...external]);
      expect(result.errors).toEqual([]);
      const inputs = Object.keys(result.metafile.inputs);
      expect(inputs.filter((input) => !ALLOWED_INPUTS.test(input))).toEqual([]);
      expect(inputs.some((input) => input.startsWith("src/protocol/"))).toBe(true);
      const code = result.outputFiles[0]!.text;
      expect(code).not.toMatch(/\brequire\(|from ["']node:/);
      const imports = Object.values(result.metafile.outputs).flatMap((output) => output.imports.map((i) => i.path));
      expect(imports).toEqual([...external]);
    });
  }
});
