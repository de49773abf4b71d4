/**
 * A plain request's body as the WHATWG stream its `Request` carries, read only as its reader asks.
 *
 * Not `Readable.toWeb(req)`: cancelling that stream destroys the request, which destroys its socket, so a handler
 * that stops reading a body it refuses (a 413) cut the connection under its own answer. Cancelling this one only
 * stops reading; what is left of the body is the runtime's to drain or cut once it answered (after-answer.ts).
 */
import type { IncomingMessage } from "node:http";

/** Stops the body's stream from reading `req` (a no-op once it is done, or for a request made without one). */
const releasers = new WeakMap<IncomingMessage, () => void>();

export function requestBodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
  let release = (): void => {};
  const stream = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        let open = true;
        const onData = (chunk: Buffer): void => {
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          // Read on: only while a reader waits (the queue holds nothing), so TCP pushes back on a slow reader.
          if ((controller.desiredSize ?? 0) <= 0) req.pause();
        };
        const onEnd = (): void => {
          release();
          controller.close();
        };
        const onError = (error: Error): void => {
          release();
          controller.error(error);
        };
        // The client went away before the body's end ('error' comes first when Node has one to give).
        const onClose = (): void => onError(new Error("The client closed the connection before the end of the body"));
        release = () => {
          if (!open) return;
          open = false;
          req.off("data", onData).off("end", onEnd).off("error", onError).off("close", onClose);
          req.pause();
          releasers.delete(req);
        };
        req.pause(); // paused before the 'data' listener, which would otherwise start the flow at once
        req.on("data", onData).once("end", onEnd).once("error", onError).once("close", onClose);
        releasers.set(req, () => release());
      },
      pull() {
        req.resume();
      },
      cancel() {
        release();
      },
    },
    // Nothing is read before a reader asks: a request answered without its body leaves all of it on the wire.
    { highWaterMark: 0 },
  );
  return stream;
}

/** Takes `req` back from its body's stream (whoever holds it reads nothing more), so the runtime can drain it. */
export function releaseRequestBody(req: IncomingMessage): void {
  releasers.get(req)?.();
}
