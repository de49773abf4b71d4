/**
 * The server build: every party entry bundled by esbuild into one ESM file per build (a reload imports fresh code),
 * with PartyKit's Workers globals and import names; its inputs are reported so `yparty dev` watches them, a failed
 * build's too (the files esbuild blamed, a missing import's folder, a missing package's install).
 */
import type { BuildContext, BuildFailure, Message, Metafile } from "esbuild";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { makeFolder } from "../../../persistence/make-folder.js";
import path from "node:path";
import { adviseInstall, installSignals, unresolvedPackage } from "./missing-package.js";
import { serverModulesPlugin } from "./plugin.js";
import { binaryLoaders, binaryModulesPlugin } from "./binary-modules.js";

export interface ServerBundleOptions {
  /** Party name → absolute entry file. */
  entries: Record<string, string>;
  /** esbuild's working folder (the project root); relative paths in messages are shown from here. */
  root: string;
  /** Where bundles are written, one file per build (so each reload imports fresh code). */
  outDir: string;
  define: Record<string, string>;
  alias: Record<string, string>;
  minify: boolean;
  /** Pretty-print build errors with colours. */
  color: boolean;
}

export type BuildOutcome =
  /** `unchanged`: the same code as the last good build, which `file` still holds. */
  { ok: true; file: string; inputs: string[]; warnings: string[]; unchanged: boolean } | { ok: false; message: string; inputs: string[] };

export interface ServerBuilder {
  /** Builds (or rebuilds) every entry into one ESM file. Never throws for errors in user code. */
  build(): Promise<BuildOutcome>;
  dispose(): Promise<void>;
}

/** One module that imports every party entry, so all parties share one build and one watcher. */
function facade(entries: Record<string, string>): string {
  const lines = Object.values(entries).map((file, index) => `import * as party${index} from ${JSON.stringify(file)};`);
  const table = Object.keys(entries).map((name, index) => `${JSON.stringify(name)}: party${index}`);
  return `${lines.join("\n")}\nexport const parties = { ${table.join(", ")} };\n`;
}

// Bundled CommonJS packages may call require() for Node built-ins; ESM has no require, so give them one.
const requireShim = 'import { createRequire as __ypartyCreateRequire } from "node:module";\nconst require = __ypartyCreateRequire(import.meta.url);';

/** esbuild's name for the generated facade: an input in the metafile, but no file on disk to watch. */
const FACADE_FILE = "yparty-entries.js";

/** Files on disk among esbuild's names (relative to `root`): not the facade, nor a virtual or namespaced module. */
function onDisk(root: string, names: string[]): string[] {
  return names.filter((name) => !name.startsWith("<") && !name.includes(":") && name !== FACADE_FILE).map((name) => path.resolve(root, name));
}

function inputsOf(root: string, metafile: Metafile | undefined): string[] {
  return onDisk(root, Object.keys(metafile?.inputs ?? {}));
}

/**
 * What `dev` watches after a failed build: the last good build's inputs and the files esbuild blamed (a failed
 * build has no metafile). A broken module in a folder no good build read is then watched, so fixing it rebuilds.
 */
function failedInputs(root: string, lastInputs: string[], errors: Message[] = []): string[] {
  const blamed = onDisk(
    root,
    errors.flatMap((error) => (error.location?.file ? [error.location.file] : [])),
  );
  // A package not installed (or not whole yet): what its install writes then rebuilds.
  const installs = errors.flatMap((error) => {
    const unresolved = unresolvedPackage(error, root);
    return unresolved ? installSignals(unresolved) : [];
  });
  return [...new Set([...lastInputs, ...blamed, ...errors.flatMap((error) => missingImport(root, error)), ...installs])];
}

/**
 * For `Could not resolve "./lib/x"`: the first part of that path that does not exist (`lib`), so its appearance in
 * a watched folder (a new folder, or the file itself) counts as an input's change and rebuilds.
 */
function missingImport(root: string, error: Message): string[] {
  const specifier = /^Could not resolve "(\.{1,2}\/[^"]*)"/.exec(error.text)?.[1];
  const importer = error.location?.file;
  if (specifier === undefined || importer === undefined || importer.includes(":")) return [];
  let missing = path.resolve(root, path.dirname(importer), specifier);
  while (!existsSync(path.dirname(missing)) && path.dirname(missing) !== missing) missing = path.dirname(missing);
  return [missing];
}

async function describeErrors(errors: Message[], root: string, color: boolean): Promise<string> {
  const { formatMessages } = await import("esbuild");
  return (await formatMessages(adviseInstall(errors, root), { kind: "error", color })).join("").trimEnd();
}

/**
 * Workers globals PartyKit's code may use, from yparty's runtime: `WebSocketPair`, and a `Response` that takes
 * `{ status: 101, webSocket }`. esbuild swaps in only those a bundle names (a global of the project's own wins).
 */
const workersGlobals = [
  'import { WebSocketPair, workerResponseOf } from "partykit/server";',
  "export { WebSocketPair };",
  "export const Response = workerResponseOf(globalThis.Response);",
  "",
].join("\n");

export async function createServerBuilder(options: ServerBundleOptions): Promise<ServerBuilder> {
  const esbuild = await import("esbuild");
  await makeFolder(options.outDir);
  const globalsFile = path.join(options.outDir, "workers-globals.mjs");
  await writeFile(globalsFile, workersGlobals);
  let count = 0;
  let lastInputs: string[] = Object.values(options.entries);
  let lastGood: { code: string; file: string } | undefined;
  const context: BuildContext = await esbuild.context({
    stdin: { contents: facade(options.entries), resolveDir: options.root, sourcefile: FACADE_FILE, loader: "js" },
    absWorkingDir: options.root,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    write: false,
    // Source paths in the inline map are relative to where the bundle is written, so stack traces name
    // the project's real files (outputs are never written by esbuild: `write: false`).
    outdir: options.outDir,
    metafile: true,
    sourcemap: "inline",
    logLevel: "silent",
    minify: options.minify,
    define: options.define,
    alias: options.alias,
    banner: { js: requireShim },
    inject: [globalsFile],
    conditions: ["partykit"],
    // The bytes of `.wasm` / `.bin` imports; binaryModulesPlugin makes each what PartyKit gives.
    loader: binaryLoaders,
    plugins: [serverModulesPlugin(), binaryModulesPlugin()],
  });

  return {
    async build() {
      try {
        const result = await context.rebuild();
        // The injected globals file is ours, written once: not a project file to watch.
        lastInputs = inputsOf(options.root, result.metafile).filter((file) => file !== globalsFile);
        const code = result.outputFiles?.[0]?.text ?? "";
        const warnings = result.warnings.length ? [(await esbuild.formatMessages(result.warnings, { kind: "warning", color: options.color })).join("")] : [];
        if (lastGood?.code === code) return { ok: true, file: lastGood.file, inputs: lastInputs, warnings, unchanged: true };
        const file = path.join(options.outDir, `server-${++count}.mjs`);
        await writeFile(file, code);
        lastGood = { code, file };
        return { ok: true, file, inputs: lastInputs, warnings, unchanged: false };
      } catch (error) {
        const errors = (error as Partial<BuildFailure>).errors;
        const message = errors?.length ? await describeErrors(errors, options.root, options.color) : String(error);
        return { ok: false, message, inputs: failedInputs(options.root, lastInputs, errors) };
      }
    },
    dispose: () => context.dispose(),
  };
}
