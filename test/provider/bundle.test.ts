/** The provider is browser-safe: esbuild bundles it for the browser platform, with no Node module in sight. */
import { describe, expect, it } from "vitest";
import { browserBundle } from "../helpers/browser-bundle.js";

const ALLOWED_INPUTS = /^(provider\/|src\/protocol\/|node_modules\/(yjs|y-protocols|lib0)\/)/;

describe("browser bundle", () => {
  for (const [entry, external] of [
    ["provider/index.ts", []],
    ["provider/react.ts", ["react"]],
  ] as const) {
    it(`${entry} bundles for the browser from provider/, src/protocol/, yjs, y-protocols and lib0 only`, async () => {
      const result = await browserBundle(entry, [...external]);
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
