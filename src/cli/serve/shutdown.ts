import type { Logger } from "../../runtime/index.js";
import { CliDefaults } from "../defaults.js";
import { ExitCode } from "../errors.js";

/**
 * Resolves with the exit code once SIGINT or SIGTERM has been handled: `close` runs (rooms flushed, storage
 * closed) and the code is 0. A second signal, or a close slower than the timeout, gives up with 1.
 */
export function onShutdownSignal(logger: Logger, close: () => Promise<void>): Promise<number> {
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
      close().then(
        () => resolve(ExitCode.Ok),
        (error: unknown) => {
          logger.error("shutdown.failed", { error });
          resolve(ExitCode.Failure);
        },
      ).finally(() => clearTimeout(timer));
    };
    process.on("SIGINT", handle);
    process.on("SIGTERM", handle);
  });
}
