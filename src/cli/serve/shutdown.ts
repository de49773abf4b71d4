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
 * closed) and the code is 0, or 1 if any step of it failed. A second signal, or a close slower than the
 * timeout, gives up with 1.
 */
export function onShutdownSignal(logger: Logger, close: () => Promise<boolean>): Promise<number> {
  return new Promise((resolve) => {
    let closing = false;
    const handle = (signal: NodeJS.Signals) => {
      if (closing) {
        logger.warn("shutdown.forced", { signal });
        resolve(ExitCode.Failure);
        return;
      }
      closing = true;
      logger.info("shutdown", { signal });
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
        .finally(() => clearTimeout(timer));
    };
    process.on("SIGINT", handle);
    process.on("SIGTERM", handle);
  });
}
