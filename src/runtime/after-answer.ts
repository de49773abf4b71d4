/**
 * Answering a plain request whose body is still coming in: a 413 answered from Content-Length or after the limit,
 * a refusal by `onBeforeRequest`, an `onRequest` that never reads the body.
 *
 * Closing the socket right after such an answer loses it: the client is still writing, the kernel answers its next
 * bytes with a reset, and a client that had not read the answer yet (undici's `fetch` mid-upload) sees EPIPE or
 * ECONNRESET instead. So the answer goes out at once, with `Connection: close` and (when it is short) a
 * Content-Length, so that a client may read all of it while it uploads (undici, curl stop uploading then); the rest
 * of the body is read and dropped meanwhile, so a client that reads only once it has sent everything gets it too.
 * The draining is bounded, in bytes and in time, so a hostile uploader cannot hold the socket: past either bound
 * the answer ends and Node closes the socket, whatever is still coming.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { carriesNoBody, dropBody, encodedForWire, setResponseHead, writeWebResponse } from "./http-bridge.js";
import { releaseRequestBody } from "./request-body.js";

/** Longest answer held back to be sent with its Content-Length; a longer one is sent as it comes (chunked). */
const HELD_ANSWER_BYTES = 64 * 1024;

/** How draining a body after its answer ended: read to its end (or the client left), or cut at a bound. */
export interface Drained {
  cut: boolean;
  /** Bytes of the body read and dropped after the answer. */
  bytes: number;
}

/** How much of a body is drained after its answer: `maxDrainBytes`, `drainTimeoutMs`, and none once `stop` aborts (shutdown). */
export interface DrainBounds {
  maxBytes: number;
  ms: number;
  stop: AbortSignal;
}

/**
 * Writes `response` for `req` and, when the body was not read to its end, drains the rest within `bounds` before
 * the response ends. Returns what the draining did (null: none was needed).
 */
export async function writeAnswer(req: IncomingMessage, res: ServerResponse, given: Response, bounds: DrainBounds): Promise<Drained | null> {
  const response = encodedForWire(given);
  if (req.complete) {
    // All of the body came in: what nobody read is in memory; read out after the answer (which may stream it: an
    // echo), so that the socket serves its next request.
    await writeWebResponse(res, response);
    releaseRequestBody(req);
    req.resume();
    return null;
  }
  setResponseHead(res, response, { close: true });
  // Not drained before the answer's body is written: that body may be the request's own, read through its stream.
  await writeOpenBody(req, res, response);
  releaseRequestBody(req);
  const outcome = await drainBody(req, bounds);
  res.end(); // Node closes the socket once this is written (Connection: close)
  return outcome;
}

/** Reads the rest of `req`'s body and drops it; resolves at its end, when the client leaves, or past a bound. */
function drainBody(req: IncomingMessage, { maxBytes, ms, stop }: DrainBounds): Promise<Drained> {
  return new Promise((resolve) => {
    let bytes = 0;
    const done = (cut: boolean): void => {
      clearTimeout(timer);
      req.off("data", onData).off("end", onEnd).off("close", onEnd);
      stop.removeEventListener("abort", onStop);
      resolve({ cut, bytes });
    };
    const onData = (chunk: Buffer): void => {
      bytes += chunk.byteLength;
      if (bytes > maxBytes) done(true);
    };
    const onEnd = (): void => done(false);
    const onStop = (): void => done(true);
    const timer = setTimeout(onStop, ms);
    if (req.readableEnded || req.destroyed) return done(false);
    if (stop.aborted) return done(true);
    req.on("data", onData).once("end", onEnd).once("close", onEnd);
    stop.addEventListener("abort", onStop);
    req.resume();
  });
}

/** Writes the answer's body without ending the response: whole with its length when short, else as it comes. */
async function writeOpenBody(req: IncomingMessage, res: ServerResponse, response: Response): Promise<void> {
  const bodyless = carriesNoBody(req.method, response.status);
  if (!response.body || bodyless) {
    dropBody(response);
    if (!bodyless) res.setHeader("content-length", "0");
    res.flushHeaders();
    return;
  }
  const reader = response.body.getReader();
  const held: Uint8Array[] = [];
  let size = 0;
  while (size <= HELD_ANSWER_BYTES) {
    const { done, value } = await reader.read();
    if (done) {
      res.removeHeader("transfer-encoding");
      res.setHeader("content-length", String(size));
      if (size === 0) res.flushHeaders();
      else res.write(Buffer.concat(held)); // the head and the whole body in one write
      return;
    }
    held.push(value);
    size += value.byteLength;
  }
  await pipeline(Readable.from(heldThenRest(held, reader)), res, { end: false });
}

async function* heldThenRest(held: Uint8Array[], reader: ReadableStreamDefaultReader<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield* held;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    yield value;
  }
}
