import type { Plugin } from "esbuild";
import path from "node:path";

/** `import mod from "./x.wasm"` (or `"./x.wasm?module"`, PartyKit's other spelling). */
const wasmImport = /\.wasm(\?module)?$/;
const namespace = "yparty-wasm";

/**
 * Server bundles: a `.wasm` import is a compiled `WebAssembly.Module`, as on PartyKit (workerd), ready for
 * `new WebAssembly.Instance(mod, imports)`. The bytes are inlined (esbuild's binary loader), so the bundle
 * stays one file, and the .wasm file is an input of the build (a change to it rebuilds in `yparty dev`).
 */
export function wasmModulesPlugin(): Plugin {
  return {
    name: "yparty-wasm-modules",
    setup(build) {
      build.onResolve({ filter: wasmImport }, async (args) => {
        // The bytes' own import (from the module made below), and this plugin's own lookup: esbuild's default.
        if (args.namespace === namespace || (args.pluginData as { wasmLookup?: boolean } | undefined)?.wasmLookup) return undefined;
        const resolved = await build.resolve(args.path.replace(/\?module$/, ""), {
          kind: args.kind,
          importer: args.importer,
          resolveDir: args.resolveDir,
          pluginData: { wasmLookup: true },
        });
        if (resolved.errors.length > 0) return { errors: resolved.errors };
        return { path: resolved.path, namespace };
      });
      build.onLoad({ filter: /.*/, namespace }, (args) => ({
        contents: `import bytes from ${JSON.stringify(args.path)};\nexport default new WebAssembly.Module(bytes);\n`,
        loader: "js",
        resolveDir: path.dirname(args.path),
      }));
    },
  };
}
