/**
 * Node http ⇄ WHATWG fetch types, both ways: an IncomingMessage becomes a `Request` (body streamed,
 * not buffered), a `Response` is written to a ServerResponse, or — for refused upgrades — as raw
 * HTTP/1.1 on the socket before it is destroyed.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { pipeline as pipeStreams, Readable, type Transform } from "node:stream";
import { createBrotliCompress, createDeflate, createGzip } from "node:zlib";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { clientAddress, forwardedScheme, setClientAddress } from "./client-address.js";
import { RuntimeError } from "./errors.js";
import { requestBodyStream, type BodyLimits } from "./request-body.js";

/**
 * The request's URL; a Host header or request target no request URL can carry is the client's mistake (400), not
 * ours: one that does not parse, or one with credentials (`Host: user@evil.example`), which WHATWG `Request` refuses.
 * Its scheme is `https` when a trusted proxy in front says the client used it (as on PartyKit, user code reads the
 * URL the client used).
 */
export function requestUrl(req: IncomingMessage, server: { authority(): string; trustedProxies: number }): URL {
  let url: URL | undefined;
  try {
    // The server's own authority only for a request without a Host header (HTTP/1.0): not made for every request.
    const scheme = forwardedScheme(req, server.trustedProxies) ?? "http";
    url = new URL(req.url ?? "/", `${scheme}://${req.headers.host ?? server.authority()}`);
  } catch {
    // answered below
  }
  if (url && url.username === "" && url.password === "") return url;
  const what = url ? "Credentials (user@) in the Host header or request target" : "Invalid Host header or request target";
  throw new RuntimeError("ERR_BAD_REQUEST", `${what}: ${JSON.stringify(req.headers.host ?? "")} ${JSON.stringify(req.url ?? "")}`, 400);
}

/**
 * Headers yparty marks its own requests with (`x-yparty-internal`: a stub's socket; a cluster's `x-yparty-cluster`,
 * whose value is the admin token, and `x-yparty-hop`): read from the IncomingMessage before this, never handed to user
 * code, where a room that echoes or proxies its request's headers would give the secret away.
 */
const OWN_HEADER_PREFIX = "x-yparty-";

/**
 * The request's headers as WHATWG Headers, yparty's own marks left out, with `clientAddress` (see client-address.ts)
 * as `cf-connecting-ip` and `x-forwarded-for` over what the client sent; `null` leaves them as sent (yparty's own
 * internal sockets).
 */
function toWebHeaders(req: IncomingMessage, clientAddress: string | null): Headers {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]!.length > OWN_HEADER_PREFIX.length && raw[i]!.toLowerCase().startsWith(OWN_HEADER_PREFIX)) continue;
    try {
      headers.append(raw[i]!, raw[i + 1]!);
    } catch {
      // A header value WHATWG refuses (obsolete line folding, bytes > 0xff): skip it, keep the request.
    }
  }
  if (clientAddress !== null) setClientAddress(headers, clientAddress);
  return headers;
}

/** Without `body` for upgrades (their socket belongs to the WebSocket, not to a body stream); with it, read within its limits. */
export function toWebRequest(req: IncomingMessage, url: URL, options: { body?: BodyLimits; clientAddress: string | null }): Request {
  const method = req.method ?? "GET";
  const hasBody = options.body !== undefined && method !== "GET" && method !== "HEAD";
  return new Request(url, {
    method,
    headers: toWebHeaders(req, options.clientAddress),
    ...(hasBody ? { body: requestBodyStream(req, options.body!), duplex: "half" } : {}),
  } as RequestInit);
}

/**
 * The context a WebSocket's `onConnect` gets, its WHATWG Request made on first read: building one costs about
 * 0.1 ms and a few KB per connection, and most rooms never look at it. The client's address (see client-address.ts,
 * `trustedProxies`; `null` leaves the headers as sent) is read from the socket then too: a `getpeername` call and an
 * object kept on the socket for as long as it lives, which a connection whose context nobody reads does without.
 * A class, not an object literal with a getter: the literal costs a closure and an accessor pair per connect.
 */
class LazyConnectionContext {
  readonly #req: IncomingMessage;
  readonly #url: URL;
  readonly #trustedProxies: number | null;
  #request: Request | undefined;
  constructor(req: IncomingMessage, url: URL, trustedProxies: number | null) {
    this.#req = req;
    this.#url = url;
    this.#trustedProxies = trustedProxies;
  }
  get request(): Request {
    const req = this.#req;
    const proxies = this.#trustedProxies;
    return (this.#request ??= toWebRequest(req, this.#url, { clientAddress: proxies === null ? null : clientAddress(req, proxies) }));
  }
}

export function lazyConnectionContext(req: IncomingMessage, url: URL, trustedProxies: number | null): { readonly request: Request } {
  return new LazyConnectionContext(req, url, trustedProxies);
}

const ENCODERS: Record<string, () => Transform> = { gzip: createGzip, deflate: createDeflate, br: createBrotliCompress };

/**
 * `response` with its body encoded as its `Content-Encoding` says (gzip, deflate, br), as Workers do on the way out:
 * a body from `fetch` was decoded on the way in, so a room that answers `return fetch(upstream)` would otherwise send
 * plain bytes under the upstream's `Content-Encoding` and compressed `Content-Length`. Any other response as it is.
 */
export function encodedForWire(response: Response): Response {
  const encoder = ENCODERS[response.headers.get("content-encoding")?.trim().toLowerCase() ?? ""];
  if (!encoder || !response.body || response.status < 200) return response;
  const headers = new Headers(response.headers);
  headers.delete("content-length");
  // A failing source fails the encoded stream too (what reads it sees the error, as with the body itself).
  const encoded = pipeStreams(Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>), encoder(), () => {});
  return new Response(Readable.toWeb(encoded) as ReadableStream<Uint8Array>, { status: response.status, statusText: response.statusText, headers });
}

/**
 * An answer with no body on the wire (RFC 9110 §6.4.1, §9.3.2): to HEAD, and a 204 or 304. Its body stream is
 * cancelled, not read: Node would drop the bytes anyway, and a stream that never ends (a log stream) held the answer.
 */
export function carriesNoBody(method: string | undefined, status: number): boolean {
  return method === "HEAD" || status === 204 || status === 304;
}

/**
 * Lets go of a body that is not sent: its stream is cancelled, not awaited. A stream whose `cancel` never settles (a
 * tail waiting on its source) would otherwise hold the answer, and every request pipelined behind it on the socket.
 */
export function dropBody(response: Response): void {
  response.body?.cancel().catch(() => {});
}

export async function writeWebResponse(res: ServerResponse, response: Response): Promise<void> {
  setResponseHead(res, response);
  if (!response.body || carriesNoBody(res.req?.method, response.status)) {
    dropBody(response);
    res.end();
    return;
  }
  await pipeline(Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>), res);
}

/** `response`'s status and headers on `res` (not sent yet); `close` says the socket closes after it. */
export function setResponseHead(res: ServerResponse, response: Response, options: { close?: boolean } = {}): void {
  res.statusCode = response.status;
  if (response.statusText) res.statusMessage = response.statusText;
  for (const [name, value] of response.headers) {
    if (name === "set-cookie") continue;
    res.setHeader(name, value);
  }
  if (options.close) res.setHeader("connection", "close"); // after the copy: a proxied response's keep-alive must not undo it
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader("set-cookie", cookies);
}

/**
 * Answers an upgrade request with `response` on the raw socket, then closes it — so a refused
 * WebSocket client sees the status and body (ws: `unexpected-response`). The body is capped.
 */
export async function writeRawResponse(socket: Duplex, given: Response, maxBodyBytes: number): Promise<void> {
  const response = encodedForWire(given);
  const { bytes: body } = await readAtMost(response.body, maxBodyBytes);
  if (socket.destroyed) return;
  const headers = new Map<string, string>();
  for (const [name, value] of response.headers) headers.set(name, value);
  headers.set("connection", "close");
  headers.set("content-length", String(body.byteLength));
  headers.delete("transfer-encoding");
  const statusText = response.statusText || STATUS_CODES[response.status] || "";
  const head = `HTTP/1.1 ${response.status} ${statusText}\r\n${[...headers].map(([name, value]) => `${name}: ${value}`).join("\r\n")}\r\n\r\n`;
  socket.once("finish", () => socket.destroy());
  socket.end(Buffer.concat([Buffer.from(head, "latin1"), body]));
}

/**
 * Reads a body stream, never holding more than `maxBytes` plus one chunk: `over` says the body was longer
 * (the rest is not read). Refused upgrades truncate their body with it; request handlers refuse long ones.
 */
export async function readAtMost(body: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<{ bytes: Buffer; over: boolean }> {
  if (!body) return { bytes: Buffer.alloc(0), over: false };
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  try {
    while (size <= maxBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  return { bytes: Buffer.concat(chunks).subarray(0, maxBytes), over: size > maxBytes };
}

/**
 * A request's body, or `undefined` when it is over `maxBytes`: told from its Content-Length before any of it is read,
 * or counted as it comes in (a chunked body has none), so a client cannot make the server hold more.
 */
export async function readBodyAtMost(request: Request, maxBytes: number): Promise<Buffer | undefined> {
  if (Number(request.headers.get("content-length") ?? 0) > maxBytes) return undefined;
  const { bytes, over } = await readAtMost(request.body, maxBytes);
  return over ? undefined : bytes;
}

/** Answers a plain status on a raw socket (no Response object needed). */
export function writeRawStatus(socket: Duplex, response: Response, maxBodyBytes: number): void {
  writeRawResponse(socket, response, maxBodyBytes).catch(() => socket.destroy());
}
