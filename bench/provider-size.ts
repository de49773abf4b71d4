/**
 * `node --import tsx bench/provider-size.ts`: minified + gzipped size of the provider bundle next to the
 * anchors' providers, every one bundled by esbuild the same way (browser, ESM, minified, whole module
 * re-exported so nothing is shaken away unfairly): once with yjs, y-protocols and lib0 external (what an
 * app that already ships Yjs pays) and once all-in.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SHARED = ["yjs", "y-protocols", "y-protocols/*", "lib0", "lib0/*"];
const GZIP_LEVEL = 9;

const PROVIDERS = [
  { name: "yparty/provider", specifier: "./provider/index.ts" },
  { name: "y-partykit/provider", specifier: "y-partykit/provider" },
  { name: "y-partyserver/provider", specifier: "y-partyserver/provider" },
] as const;

interface Size {
  minified: number;
  gzipped: number;
}

async function measure(specifier: string, external: string[]): Promise<Size> {
  const result = await esbuild.build({
    stdin: {
      contents: `export * from ${JSON.stringify(specifier)}; export { default } from ${JSON.stringify(specifier)};`,
      resolveDir: root,
      loader: "ts",
    },
    bundle: true,
    platform: "browser",
    format: "esm",
    minify: true,
    write: false,
    external,
    logLevel: "silent",
  });
  const code = result.outputFiles[0]!.contents;
  return { minified: code.byteLength, gzipped: gzipSync(code, { level: GZIP_LEVEL }).byteLength };
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

export async function providerSizes() {
  const rows = [];
  for (const provider of PROVIDERS) {
    const [alone, allIn] = await Promise.all([measure(provider.specifier, SHARED), measure(provider.specifier, [])]);
    rows.push({ provider: provider.name, alone, allIn });
  }
  return rows;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const rows = await providerSizes();
  console.log("| provider | min (yjs & co. external) | min+gzip (external) | min (all-in) | min+gzip (all-in) |");
  console.log("|---|---:|---:|---:|---:|");
  for (const { provider, alone, allIn } of rows) {
    console.log(`| ${provider} | ${kb(alone.minified)} | ${kb(alone.gzipped)} | ${kb(allIn.minified)} | ${kb(allIn.gzipped)} |`);
  }
}
