/**
 * A promise that rejects with no handler — a party's fire-and-forget call (`void room.storage.put(…)`, a `ctx.notify`
 * not awaited) — ends a Node 20 process by default, and with it every other room of the server. PartyKit logs it and
 * the other rooms go on; so does `yparty dev`/`start`: it is logged at error level, with its stack, and the server
 * keeps running. A synchronous throw that nothing catches still ends the process (its state may be half-changed), with
 * exit code 1 as Node's default, but logged first and after its last words: a cluster node gives up its leases and
 * node key (bounded), so its rooms move at once rather than a TTL later, as after kill -9.
 */
import type { Logger } from "../../runtime/index.js";
import { CliDefaults } from "../defaults.js";
import { ExitCode } from "../errors.js";

/** Logs unhandled rejections instead of exiting. */
export function logUnhandledRejections(logger: Logger): void {
  const log = (reason: unknown): void =>
    logger.error("process.unhandled_rejection", {
      code: "ERR_UNHANDLED_REJECTION",
      error: reason,
      message: "A promise rejected and nothing handled it (a call not awaited in a party?); the server keeps running",
    });
  process.on("unhandledRejection", log);
}

/**
 * Logs an uncaught exception, runs `lastWords` (at most `CliDefaults.crashCleanupMs`: nothing may hold a crashed
 * process), then exits 1. Only what is safe on half-changed state belongs in them: nothing is flushed (what was
 * acknowledged is stored already), leases are released.
 */
export function exitOnUncaughtException(logger: Logger, lastWords: Array<() => Promise<void>>): void {
  let crashing = false;
  process.on("uncaughtException", (error, origin) => {
    logger.error("process.uncaught_exception", {
      code: "ERR_UNCAUGHT_EXCEPTION",
      error,
      origin,
      message: crashing ? "another throw while exiting" : "A throw nothing caught (in a timer or event callback of a party?); the server exits",
    });
    if (crashing) return;
    crashing = true;
    const bound = new Promise((resolve) => setTimeout(resolve, CliDefaults.crashCleanupMs).unref());
    const steps = Promise.allSettled(lastWords.splice(0).map((step) => Promise.resolve().then(step)));
    void Promise.race([steps, bound]).finally(() => process.exit(ExitCode.Failure));
  });
}
