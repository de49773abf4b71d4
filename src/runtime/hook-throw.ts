/**
 * What a client gets when the user code answering its request threw (`onRequest`, `onFetch`, `onBeforeRequest`,
 * `onBeforeConnect`, a route), decided in this one place:
 * - its body did not come in whole (the client went away, stalled, or bodies filled the budget): request-body.ts;
 * - a failure of the moment, not of the code (a room that moved, a stub's call to a room no node can serve now, the
 *   server shutting down): 503 with `Retry-After` (errors.ts `retryLaterResponse`), logged at warn;
 * - anything else is the code's fault: the generic 500, logged at error with the stack.
 */
import { internalErrorResponse, retryLaterResponse } from "./errors.js";
import type { Logger } from "./log.js";
import { answerBodyError } from "./request-body.js";

/** Logs the throw: `retryCode` is the code answered with a 503 worth a retry (log at warn); without it, a fault (500). */
export type ThrowLog = (retryCode?: string) => void;

export function hookThrowResponse(logger: Logger, url: string, error: unknown, log: ThrowLog): Response {
  const gone = answerBodyError(logger, url, error);
  if (gone) return gone;
  const retry = retryLaterResponse(error);
  if (retry) {
    log(retry.code);
    return retry.response;
  }
  log();
  return internalErrorResponse();
}
