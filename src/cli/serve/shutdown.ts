/**
 * The graceful shutdown on SIGINT/SIGTERM: every step runs whatever the others did, and the exit code says whether all
 * succeeded; a second signal (not npm's repeat of the first) or a shutdown past its timeout exits at once.
 */
import type { Logger } from "../../runtime/index.js";
import { CliDefaults } from "../defaults.js";
import { ExitCode } from "../errors.js";

/**
 * Runs every step, in order, whatever the ones before did: a failing step is logged and the others still run
 * (a log stream that cannot be ended must not keep the rooms from being flushed). Resolves true if all succeeded.
 */
export async function runAll(steps: Array<() => Promise<void>>, logger: Logger): Promise<boolean> {
  let ok = true;
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      ok = false;
      logger.error("shutdown.failed", { error });
    }
  }
  return ok;
}

/**
 * Resolves with the exit code once SIGINT or SIGTERM has been handled: `close` runs (rooms flushed, storage
 * closed) and the code is 0, or 1 if any step of it failed. A second signal gives up with 1, unless it comes within
 * `repeatSignalGraceMs` of the first (the same Ctrl-C, forwarded again by npm); so does a close slower than the timeout.
 */
export function onShutdownSignal(logger: Logger, close: () => Promise<boolean>): Promise<number> {
  return new Promise((resolve) => {
    let firstSignalAt: number | undefined;
    const handle = (signal: NodeJS.Signals) => {
      if (firstSignalAt !== undefined) {
        if (Date.now() - firstSignalAt < CliDefaults.repeatSignalGraceMs) {
          logger.debug("shutdown.repeat_ignored", { signal });
          return;
        }
        logger.warn("shutdown.forced", { signal });
        resolve(ExitCode.Failure);
        return;
      }
      firstSignalAt = Date.now();
      logger.info("shutdown", { signal });
      // From now on a repeat is a second press: say what it does, since the shutdown is taking a while.
      const graceOver = setTimeout(
        () => logger.info("shutdown.waiting", { hint: `still flushing rooms; send ${signal} again (Ctrl-C) to exit at once` }),
        CliDefaults.repeatSignalGraceMs,
      );
      graceOver.unref();
      const timer = setTimeout(() => {
        logger.error("shutdown.timeout", { code: "ERR_SHUTDOWN_TIMEOUT", ms: CliDefaults.shutdownTimeoutMs });
        resolve(ExitCode.Failure);
      }, CliDefaults.shutdownTimeoutMs);
      timer.unref();
      close()
        .then(
          (ok) => resolve(ok ? ExitCode.Ok : ExitCode.Failure),
          (error: unknown) => {
            logger.error("shutdown.failed", { error });
            resolve(ExitCode.Failure);
          },
        )
        .finally(() => {
          clearTimeout(timer);
          clearTimeout(graceOver);
        });
    };
    process.on("SIGINT", handle);
    process.on("SIGTERM", handle);
  });
}
