/**
 * A promise that rejects with no handler — a party's fire-and-forget call (`void room.storage.put(…)`, a `ctx.notify`
 * not awaited) — ends a Node 20 process by default, and with it every other room of the server. PartyKit logs it and
 * the other rooms go on; so does `yparty dev`/`start`: it is logged at error level, with its stack, and the server
 * keeps running. (A synchronous throw that nothing catches still ends the process: its state may be half-changed.)
 */
import type { Logger } from "../../runtime/index.js";

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
