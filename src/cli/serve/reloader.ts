/**
 * `yparty dev`'s reload loop: a change to a file the server bundle read rebuilds it and swaps the parties, a failed
 * build keeps the running code, and rebuilds never overlap.
 */
import type { Logger, YpartyServer } from "../../runtime/index.js";
import type { ProjectConfig } from "../config/resolve.js";
import { runBuildCommand } from "./build-command.js";
import type { PartySource } from "./parties.js";
import { watchFiles, watchTrees } from "./watch.js";

export interface DevReloaderOptions {
  source: PartySource;
  server: YpartyServer;
  logger: Logger;
  project: ProjectConfig;
}

/**
 * `yparty dev`: on a change to any file the server bundle read, rebuild and swap the parties
 * (`server.reload`: connections close with 1012, storage stays). A failed build is printed and the
 * running code stays. Rebuilds never overlap: changes during one trigger exactly one more.
 */
export function startDevReloader({ source, server, logger, project }: DevReloaderOptions): { close(): void } {
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;

  const rebuildOnce = async () => {
    const started = Date.now();
    const outcome = await source.rebuild();
    watcher.update(source.inputs(), { newSources: !outcome.ok });
    if (closed) return;
    if (!outcome.ok) {
      process.stderr.write(`\n✘ Still serving the last good build. ${outcome.message}\n\n`);
      logger.error("dev.build_failed", { code: "ERR_BUILD" });
      return;
    }
    outcome.warnings.forEach((text) => process.stderr.write(text));
    if (outcome.unchanged) {
      // Saved without a change that reaches the bundle (a touch, an editor's save-all): clients keep their sockets.
      logger.debug("dev.unchanged", {});
      return;
    }
    await server.reload(outcome.parties);
    logger.info("dev.reloaded", { ms: Date.now() - started });
  };

  const trigger = () => {
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        await rebuildOnce().catch((error: unknown) => logger.error("dev.reload_failed", { error }));
      } while (again && !closed);
    })().finally(() => {
      running = undefined;
    });
  };

  const watcher = watchFiles(trigger, (file) => logger.debug("dev.change_ignored", { file }));
  watcher.update(source.inputs());
  const build = project.build;
  // Ends a build command still running at shutdown (it runs in its own process group, out of a Ctrl-C's reach).
  const closing = new AbortController();
  const stopCommandWatch = build
    ? watchTrees(build.watch, () => {
        runBuildCommand(build.command, build.cwd, closing.signal).then(trigger, (error: Error) => {
          if (!closing.signal.aborted) logger.error("dev.build_command_failed", { error });
        });
      })
    : () => {};

  return {
    close() {
      closed = true;
      closing.abort(new Error("yparty dev is shutting down"));
      watcher.close();
      stopCommandWatch();
    },
  };
}
