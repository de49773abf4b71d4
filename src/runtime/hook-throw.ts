/**
 * What a client gets when the user code answering its request threw (`onRequest`, `onFetch`, `onBeforeRequest`,
 * `onBeforeConnect`, a route), decided in this one place:
 * - its body did not come in whole (the client went away, stalled, or bodies filled the budget): request-body.ts;
 * - a failure of the moment, not of the code (a room that moved, a stub's call to a room no node can serve now, the
 *   server shutting down): 503 with `Retry-After` (errors.ts `retryLaterResponse`), logged at warn;
 * - anything else is the code's fault: the generic 500, logged at error with the stack.
 */
import { internalErrorResponse, retryCloseCodeOf, retryLaterResponse } from "./errors.js";
import type { Logger } from "./log.js";
import { answerBodyError } from "./request-body.js";

/**
 * The answers to throws worth a retry, with how a WebSocket upgrade refused by one is closed instead: accepted, then
 * closed 1013 (1001 shutting down) with why, as every refusal of an upgrade worth a retry is (upgrade-handler.ts): a
 * refused upgrade reaches a browser as a bare 1006. Kept beside the Response (a gate hook's answer is one).
 */
const retryCloses = new WeakMap<Response, { code: number; reason: string }>();

/** How an upgrade refused by `response` is closed instead, when it answers a throw worth a retry. */
export function retryCloseOf(response: Response): { code: number; reason: string } | undefined {
  return retryCloses.get(response);
}

/** Logs the throw: `retryCode` is the code answered with a 503 worth a retry (log at warn); without it, a fault (500). */
export type ThrowLog = (retryCode?: string) => void;

export function hookThrowResponse(logger: Logger, url: string, error: unknown, log: ThrowLog): Response {
  const gone = answerBodyError(logger, url, error);
  if (gone) return gone;
  const retry = retryLaterResponse(error);
  if (retry) {
    log(retry.code);
    retryCloses.set(retry.response, { code: retryCloseCodeOf(retry.code), reason: retry.message });
    return retry.response;
  }
  log();
  return internalErrorResponse();
}
