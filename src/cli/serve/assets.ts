/**
 * The client build of the config's `serve.build`: the browser entry bundled by esbuild with yparty's browser-side
 * import names (bundle/plugin.ts), once for `yparty start`, watched and rebuilt for `yparty dev`, where a failed build
 * is reported and the last files keep being served.
 */
import type { BuildContext, BuildOptions, Plugin } from "esbuild";
import { adviseInstall } from "../bundle/missing-package.js";
import { browserModulesPlugin } from "../bundle/plugin.js";
import type { AssetBuild } from "../config/resolve.js";
import { CliError } from "../errors.js";

export interface AssetBuilder {
  dispose(): Promise<void>;
}

function buildOptions(build: AssetBuild, root: string, define: Record<string, string>, plugins: Plugin[]): BuildOptions {
  return {
    entryPoints: build.entryPoints,
    outdir: build.outdir,
    absWorkingDir: root,
    bundle: build.bundle,
    splitting: build.splitting && build.format === "esm",
    minify: build.minify,
    sourcemap: build.sourcemap,
    format: build.format,
    external: build.external,
    alias: build.alias,
    define: { ...define, ...build.define },
    loader: build.loader as BuildOptions["loader"],
    platform: "browser",
    target: "es2022",
    logLevel: "silent",
    plugins: [browserModulesPlugin(root), ...plugins],
  };
}

/**
 * The config's `serve.build`: bundles the client entry for the browser (once for `start`; rebuilt on change
 * for `dev`, where errors are reported and the previous files keep being served).
 */
export async function buildAssets(
  build: AssetBuild,
  root: string,
  define: Record<string, string>,
  options: { watch: boolean; report: (text: string, ok: boolean) => void; color: boolean },
): Promise<AssetBuilder> {
  const esbuild = await import("esbuild");
  const format = async (kind: "error" | "warning", messages: Parameters<typeof esbuild.formatMessages>[0]) =>
    (await esbuild.formatMessages(kind === "error" ? adviseInstall(messages, root) : messages, { kind, color: options.color })).join("").trimEnd();
  if (!options.watch) {
    try {
      await esbuild.build(buildOptions(build, root, define, []));
    } catch (error) {
      const errors = (error as { errors?: Parameters<typeof esbuild.formatMessages>[0] }).errors ?? [];
      throw new CliError("ERR_BUILD", `The client build (serve.build) failed:\n${await format("error", errors)}`);
    }
    return { dispose: async () => {} };
  }
  // `watch()` makes the first build itself: a `rebuild()` before it built the client twice at every start (and
  // printed a failed build's errors twice). The start waits for that first build, so the page is there when served.
  let firstDone: (() => void) | undefined;
  const firstBuild = new Promise<void>((resolve) => (firstDone = resolve));
  const reporter: Plugin = {
    name: "yparty-asset-report",
    setup(pluginBuild) {
      pluginBuild.onEnd(async (result) => {
        if (result.errors.length > 0) options.report(`Client build failed:\n${await format("error", result.errors)}`, false);
        else if (!firstDone) options.report("Client rebuilt", true);
        firstDone?.();
        firstDone = undefined;
      });
    },
  };
  const context: BuildContext = await esbuild.context(buildOptions(build, root, define, [reporter]));
  await context.watch();
  await firstBuild;
  return { dispose: () => context.dispose() };
}
