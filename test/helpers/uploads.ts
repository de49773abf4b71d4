/**
 * Clients still uploading when the server answers (a 413, a refusal): what each one reads back.
 *
 *   fetchMidUpload(url, { bytes, headers? }) → { status, body } or { error }
 *     Node's fetch (undici) POSTing `bytes` as a stream, 256 KiB a millisecond (chunked unless the headers give a
 *     Content-Length): still writing when the answer comes. `error` is the socket error it saw instead (EPIPE…).
 *   uploadThenRead(port, path, bytes) → { status, headers, body } or { error }
 *     A raw TCP client that sends the whole body with its Content-Length first and only then reads (as clients that
 *     do not read while they upload do).
 *   uploadForever(port, path, { chunkBytes, everyMs? }) → { answer, written, closedAfterMs }
 *     A raw TCP client that never stops sending (as fast as the socket takes it, or a chunk every `everyMs`) and
 *     reads what comes back, until the server closes the socket.
 */
import { connect } from "node:net";
import { waitFor } from "./server.js";

const KiB = 1024;

export type UploadAnswer = { status: number; body: string; headers: Record<string, string> } | { error: string };

export async function fetchMidUpload(url: string, options: { bytes: number; headers?: Record<string, string> }): Promise<UploadAnswer> {
  const chunk = new Uint8Array(256 * KiB).fill(1);
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (sent >= options.bytes) return controller.close();
      await new Promise((resolve) => setTimeout(resolve, 1)); // a network's pace: the server answers mid-upload
      const next = chunk.subarray(0, Math.min(chunk.byteLength, options.bytes - sent));
      sent += next.byteLength;
      controller.enqueue(next);
    },
  });
  try {
    const init = { method: "POST", body, duplex: "half", headers: { "content-type": "application/octet-stream", ...options.headers } };
    const response = await fetch(url, init as RequestInit);
    return { status: response.status, body: await response.text(), headers: Object.fromEntries(response.headers) };
  } catch (error) {
    return { error: String((error as { cause?: { code?: string } }).cause?.code ?? error) };
  }
}

/** The status, headers and body of an HTTP/1.1 answer with a Content-Length, once all of it is in `text`. */
function parseAnswer(text: string): { status: number; body: string; headers: Record<string, string> } | undefined {
  const end = text.indexOf("\r\n\r\n");
  if (end < 0) return undefined;
  const [statusLine, ...lines] = text.slice(0, end).split("\r\n");
  const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(":")).toLowerCase(), line.slice(line.indexOf(":") + 1).trim()]));
  const body = text.slice(end + 4);
  if (body.length < Number(headers["content-length"] ?? Number.POSITIVE_INFINITY)) return undefined;
  return { status: Number(statusLine!.split(" ")[1]), headers, body };
}

function postHead(path: string, length: number): string {
  return `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: ${length}\r\n\r\n`;
}

export function uploadThenRead(port: number, path: string, bytes: number): Promise<UploadAnswer> {
  const answer = new Promise<UploadAnswer>((resolve) => {
    let text = "";
    const socket = connect(port, "127.0.0.1");
    socket.setEncoding("latin1");
    socket.pause(); // nothing is read before the whole body is written
    socket.on("error", (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? String(error) }));
    socket.on("data", (chunk: string) => {
      text += chunk;
      const parsed = parseAnswer(text);
      if (parsed) {
        socket.destroy();
        resolve(parsed);
      }
    });
    socket.on("close", () => resolve(parseAnswer(text) ?? { error: `closed after ${JSON.stringify(text)}` }));
    const chunk = Buffer.alloc(256 * KiB, 1);
    let sent = 0;
    const pump = (): void => {
      while (sent < bytes) {
        const next = chunk.subarray(0, Math.min(chunk.byteLength, bytes - sent));
        sent += next.byteLength;
        if (!socket.write(next)) return void socket.once("drain", pump);
      }
      socket.resume();
    };
    socket.once("connect", () => {
      socket.write(postHead(path, bytes));
      pump();
    });
  });
  return waitFor(answer, `the answer to a ${bytes}-byte upload of ${path}`, 20_000);
}

export interface EndlessUpload {
  /** What the server answered before it closed the socket, if it could be read. */
  answer: ReturnType<typeof parseAnswer>;
  written: number;
  closedAfterMs: number;
}

export function uploadForever(port: number, path: string, options: { chunkBytes: number; everyMs?: number }): Promise<EndlessUpload> {
  const closed = new Promise<EndlessUpload>((resolve) => {
    let text = "";
    let written = 0;
    let timer: NodeJS.Timeout | undefined;
    const started = performance.now();
    const socket = connect(port, "127.0.0.1");
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => (text += chunk));
    socket.on("error", () => {}); // EPIPE / ECONNRESET: the server cut us, as it should
    socket.on("close", () => {
      clearInterval(timer);
      resolve({ answer: parseAnswer(text), written, closedAfterMs: performance.now() - started });
    });
    const chunk = Buffer.alloc(options.chunkBytes, 1);
    const send = (): boolean => {
      written += chunk.byteLength;
      return socket.write(chunk);
    };
    const pump = (): void => {
      while (!socket.destroyed && send());
      if (!socket.destroyed) socket.once("drain", pump);
    };
    socket.once("connect", () => {
      socket.write(postHead(path, 1024 ** 4));
      if (options.everyMs === undefined) pump();
      else timer = setInterval(send, options.everyMs);
    });
  });
  return waitFor(closed, `the server closing an endless upload to ${path}`, 20_000);
}
