/**
 * A plain request's body as the WHATWG stream its `Request` carries, read only as its reader asks.
 *
 * Not `Readable.toWeb(req)`: cancelling that stream destroys the request, which destroys its socket, so a handler
 * that stops reading a body it refuses (a 413) cut the connection under its own answer. Cancelling this one only
 * stops reading; what is left of the body is the runtime's to drain or cut once it answered (after-answer.ts).
 */
import type { IncomingMessage } from "node:http";
import { errorResponse } from "./errors.js";
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

/** Whether `error` (or its cause, as fetch's body readers wrap it) says the client went away mid-body. */
function isClientGone(error: unknown): boolean {
  for (let found = error; found instanceof Error; found = found.cause) if (found instanceof ClientGoneError) return true;
  return false;
}

/**
 * The answer to a request whose handler threw `error`, when the throw is its client going away mid-body: a 400 nobody
 * reads, and a debug entry (not a fault of the server's at error level, which any client could write at will).
 * `undefined` for any other error: the handler's fault, for the caller to log.
 */
export function answerClientGone(logger: Logger, url: string, error: unknown): Response | undefined {
  if (!isClientGone(error)) return undefined;
  logger.debug("http.client_gone", { code: "ERR_BODY_INCOMPLETE", url });
  return errorResponse("ERR_BAD_REQUEST", "The body did not come in whole: the client went away", 400);
}

/** Takes each request back from its body's stream (see `releaseRequestBody`), while the stream still reads it. */
const releasers = new WeakMap<IncomingMessage, () => void>();

export function requestBodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
  let stop = (): void => {};
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        const onData = (chunk: Buffer): void => {
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          // Read on: only while a reader waits (the queue holds nothing), so TCP pushes back on a slow reader.
          if ((controller.desiredSize ?? 0) <= 0) req.pause();
        };
        const onEnd = (): void => {
          stop();
          controller.close();
        };
        const fail = (error: Error): void => {
          stop();
          controller.error(error);
        };
        // The client went away before the body's end ('error' comes first when Node has one to give: "aborted").
        const onError = (error: Error): void => fail(new ClientGoneError(error));
        const onClose = (): void => fail(new ClientGoneError());
        stop = () => {
          req.off("data", onData).off("end", onEnd).off("error", onError).off("close", onClose);
          releasers.delete(req);
        };
        req.pause(); // paused before the 'data' listener, which would otherwise start the flow at once
        req.on("data", onData).once("end", onEnd).once("error", onError).once("close", onClose);
        // A reader still waiting (work left running after the answer) is told, rather than left waiting for ever.
        releasers.set(req, () => fail(new Error("The request's body is no longer readable: its answer was sent")));
      },
      pull() {
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
  releasers.get(req)?.();
  req.pause();
}
