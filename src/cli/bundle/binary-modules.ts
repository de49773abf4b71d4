/**
 * `.wasm` and `.bin` imports in server code, given what PartyKit (workerd) gives them: a `WebAssembly.Module` and an
 * ArrayBuffer, the bytes inlined so the bundle stays one file.
 */
import type { Plugin } from "esbuild";
import path from "node:path";

/**
 * What an import of a binary file gives server code, as on PartyKit (workerd's module types), made from the
 * file's bytes (`bytes`, a Uint8Array from esbuild's binary loader).
 */
const moduleValues: Record<string, string> = {
  // `import mod from "./x.wasm"` (or "./x.wasm?module"): a compiled module for `new WebAssembly.Instance(mod, imports)`.
  ".wasm": "new WebAssembly.Module(bytes)",
  // `import data from "./x.bin"`: an ArrayBuffer of the file (a "Data" module).
  ".bin": "bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)",
};

const binaryImport = /\.(wasm|bin)(\?module)?$/;
const namespace = "yparty-binary-module";

/** The esbuild loaders the plugin's byte imports need. */
export const binaryLoaders = Object.fromEntries(Object.keys(moduleValues).map((extension) => [extension, "binary" as const]));

/**
 * Server bundles: `.wasm` and `.bin` imports become the values above. The bytes are inlined, so the bundle stays
 * one file, and the file is an input of the build (a change to it rebuilds in `yparty dev`).
 */
export function binaryModulesPlugin(): Plugin {
  return {
    name: "yparty-binary-modules",
    setup(build) {
      build.onResolve({ filter: binaryImport }, async (args) => {
        // The bytes' own import (from the module made below), and this plugin's own lookup: esbuild's default.
        if (args.namespace === namespace || (args.pluginData as { binaryLookup?: boolean } | undefined)?.binaryLookup) return undefined;
        const resolved = await build.resolve(args.path.replace(/\?module$/, ""), {
          kind: args.kind,
          importer: args.importer,
          resolveDir: args.resolveDir,
          pluginData: { binaryLookup: true },
        });
        if (resolved.errors.length > 0) return { errors: resolved.errors };
        return { path: resolved.path, namespace };
      });
      build.onLoad({ filter: /.*/, namespace }, (args) => ({
        contents: `import bytes from ${JSON.stringify(args.path)};\nexport default ${moduleValues[path.extname(args.path)]};\n`,
        loader: "js",
        resolveDir: path.dirname(args.path),
      }));
    },
  };
}
