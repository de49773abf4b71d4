/**
 * A plain request's body as the WHATWG stream its `Request` carries, read only as its reader asks.
 *
 * Not `Readable.toWeb(req)`: cancelling that stream destroys the request, which destroys its socket, so a handler
 * that stops reading a body it refuses (a 413) cut the connection under its own answer. Cancelling this one only
 * stops reading; what is left of the body is the runtime's to drain or cut once it answered (after-answer.ts).
 */
import type { IncomingMessage } from "node:http";
import { errorResponse, findInCauses } from "./errors.js";
import type { Logger } from "./log.js";

/**
 * What reading a body rejects with when its client went away before its end (a reset, a close mid-upload): the
 * client's doing, not the server's. A handler that lets it through is answered as a bad request, not logged as a fault.
 */
export class ClientGoneError extends Error {
  constructor(cause?: unknown) {
    super("The client closed the connection before the end of the body", cause === undefined ? undefined : { cause });
    this.name = "ClientGoneError";
  }
}

/** What reading a body rejects with when the runtime stopped reading it: its client stalled, or bodies fill the budget. */
export class BodyCutError extends Error {
  constructor(
    readonly code: "ERR_BODY_TIMEOUT" | "ERR_SERVER_BUSY" | "ERR_BODY_TOO_BIG",
    message: string,
  ) {
    super(message);
    this.name = "BodyCutError";
  }
}

/** The `ClientGoneError` or `BodyCutError` in `error` (or its causes, as fetch's body readers wrap it). */
function bodyErrorIn(error: unknown): ClientGoneError | BodyCutError | undefined {
  return findInCauses(error, (cause) => (cause instanceof ClientGoneError || cause instanceof BodyCutError ? cause : undefined));
}

/**
 * The answer to a request whose handler threw `error`, when the throw is its body not coming in whole: its client went
 * away (a 400 nobody reads), stalled (408) or the server had too many bodies to read (503, to retry), with a debug entry
 * (not a fault of the server's at error level, which any client could write at will). `undefined` for any other error:
 * the handler's fault, for the caller to log.
 */
export function answerBodyError(logger: Logger, url: string, error: unknown): Response | undefined {
  const found = bodyErrorIn(error);
  if (found === undefined) return undefined;
  if (found instanceof BodyCutError) {
    logger.debug("http.body_cut", { code: found.code, url });
    const status = found.code === "ERR_SERVER_BUSY" ? 503 : found.code === "ERR_BODY_TOO_BIG" ? 413 : 408;
    const response = errorResponse(found.code, found.message, status);
    if (found.code === "ERR_SERVER_BUSY") response.headers.set("retry-after", "1");
    return response;
  }
  logger.debug("http.client_gone", { code: "ERR_BODY_INCOMPLETE", url });
  return errorResponse("ERR_BAD_REQUEST", "The body did not come in whole: the client went away", 400);
}

/**
 * Bytes of request bodies being read, server-wide (`limits.maxBodyBytesInFlight`): counted from each part read until the
 * body's end is read or its request is over. Each body is bounded by its handler (`maxHttpUpdateBytes`, 16 MiB), but
 * nothing else bounded how many at once: 100 uploads stopped one byte short of their end held 1.6 GB. A body whose next
 * part would pass the budget is cut rather than paused (bodies waiting for each other's answers would never end): 503,
 * to retry, or 413 when it alone would pass it (it never fits).
 */
export class BodyBudget {
  #held = 0;
  readonly #perRequest = new Map<IncomingMessage, number>();

  constructor(private readonly maxBytes: number) {}

  get held(): number {
    return this.#held;
  }

  /** Counts `bytes` more of `req`'s body; or, counting nothing, why they do not fit. */
  take(req: IncomingMessage, bytes: number): "taken" | "busy" | "too-big" {
    const own = (this.#perRequest.get(req) ?? 0) + bytes;
    if (own > this.maxBytes) return "too-big";
    if (this.#held + bytes > this.maxBytes) return "busy";
    this.#held += bytes;
    this.#perRequest.set(req, own);
    return "taken";
  }

  /** `req`'s body was read to its end, or the request is over: its bytes are given back. */
  release(req: IncomingMessage): void {
    const bytes = this.#perRequest.get(req);
    if (bytes === undefined) return;
    this.#perRequest.delete(req);
    this.#held -= bytes;
  }
}

export interface BodyLimits {
  budget: BodyBudget;
  /** A body that sends nothing for this long (while a reader waits for it) is cut: 408. */
  idleTimeoutMs: number;
}

/** Takes each request back from its body's stream (see `releaseRequestBody`), while the stream still reads it. */
const releasers = new WeakMap<IncomingMessage, () => void>();

/**
 * Requests whose client sends its body only once told `100 Continue` (`Expect: 100-continue`, curl's way for bodies
 * over 1 MiB), with how to tell it. Told at the first read of the body, never after the answer: a request refused
 * without reading it (a 413 from its Content-Length, a 401 of onBeforeRequest, a 415) gets its answer and the client
 * sends nothing, where Node's own 100, sent before any handler ran, had the client upload all of it to be refused.
 */
const continues = new WeakMap<IncomingMessage, () => void>();

export function continueOnFirstRead(req: IncomingMessage, writeContinue: () => void): void {
  continues.set(req, writeContinue);
}

function sendContinue(req: IncomingMessage): void {
  const send = continues.get(req);
  if (send === undefined) return;
  continues.delete(req);
  send();
}

export function requestBodyStream(req: IncomingMessage, limits: BodyLimits): ReadableStream<Uint8Array> {
  let stop = (): void => {};
  /** Runs while a reader waits for the next part, reset by each. */
  let idle: NodeJS.Timeout | undefined;
  let fail = (_error: Error): void => {};
  const waitForPart = (): void => {
    clearTimeout(idle);
    idle = setTimeout(
      () => fail(new BodyCutError("ERR_BODY_TIMEOUT", `The body stopped coming in (nothing for ${limits.idleTimeoutMs / 1000} s)`)),
      limits.idleTimeoutMs,
    );
    idle.unref();
  };
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        const onData = (chunk: Buffer): void => {
          const taken = limits.budget.take(req, chunk.byteLength);
          if (taken === "busy") return fail(new BodyCutError("ERR_SERVER_BUSY", "The server is reading too many request bodies at once; try again shortly"));
          if (taken === "too-big") return fail(new BodyCutError("ERR_BODY_TOO_BIG", "The body is larger than the server reads (maxBodyBytesInFlight)"));
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          // Read on: only while a reader waits (the queue holds nothing), so TCP pushes back on a slow reader.
          if ((controller.desiredSize ?? 0) <= 0) {
            clearTimeout(idle);
            req.pause();
          }
        };
        const onEnd = (): void => {
          stop();
          limits.budget.release(req);
          controller.close();
        };
        fail = (error: Error): void => {
          stop();
          controller.error(error);
        };
        // The client went away before the body's end ('error' comes first when Node has one to give: "aborted").
        const onError = (error: Error): void => fail(new ClientGoneError(error));
        const onClose = (): void => fail(new ClientGoneError());
        stop = () => {
          clearTimeout(idle);
          req.off("data", onData).off("end", onEnd).off("error", onError).off("close", onClose);
          releasers.delete(req);
        };
        req.pause(); // paused before the 'data' listener, which would otherwise start the flow at once
        req.on("data", onData).once("end", onEnd).once("error", onError).once("close", onClose);
        // A reader still waiting (work left running after the answer) is told, rather than left waiting for ever.
        releasers.set(req, () => fail(new Error("The request's body is no longer readable: its answer was sent")));
      },
      pull() {
        sendContinue(req);
        waitForPart();
        req.resume();
      },
      cancel() {
        stop();
        req.pause();
      },
    },
    // Nothing is read before a reader asks: a request answered without its body leaves all of it on the wire.
    { highWaterMark: 0 },
  );
}

/**
 * Takes `req` back from its body's stream once the answer is written (whoever still reads the stream gets an error),
 * so that the runtime can read out and drop the rest.
 */
export function releaseRequestBody(req: IncomingMessage): void {
  continues.delete(req); // answered: no 100 may follow the final status
  releasers.get(req)?.();
  req.pause();
}
