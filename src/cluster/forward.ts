/**
 * Forwarding to a room's owner. A WebSocket: the upgrade request goes to the owner on a new TCP connection, then the
 * two sockets are piped both ways, bytes unparsed — the owner's answer (101, or a refusal) reaches the client as it
 * is, extensions and close codes are end to end, TCP backpressure holds. HTTP: a reverse proxy, bodies streamed.
 * Both carry the cluster secret (the owner skips the lobby hooks this node ran) and the hop header.
 */
import { Agent, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from "node:http";
import { connect, type Socket } from "node:net";
import { Readable, type Duplex } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { errorResponse } from "../runtime/index.js";
import type { Upgrade } from "../runtime/upgrade.js";
import { REFUSED_HEADER } from "../runtime/placement.js";

export const CLUSTER_HEADER = "x-yparty-cluster";
export const HOP_HEADER = "x-yparty-hop";

/** How long an owner may take to accept a TCP connection before it counts as unreachable. */
export const CONNECT_TIMEOUT_MS = 1_000;

/** Headers that belong to one connection, not to the request (RFC 9110 §7.6.1), and the body framing http sets itself. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "content-length"]);
/** What a relayed upgrade keeps from the client's own request whatever a hook rewrote: the handshake. */
const HANDSHAKE = /^(host|connection|upgrade|sec-websocket-.*)$/i;

export class Forwarder {
  readonly #agent = new Agent({ keepAlive: true });
  readonly #relays = new Set<Duplex>();

  constructor(private readonly secret: string) {}

  /**
   * Relays an upgrade to `owner`: false when it cannot be reached or goes away before it answers the handshake (also
   * when `ownerLost` aborts meanwhile: a frozen process still accepts connections) — nothing was written
   * to the client's socket then —, true once the owner answered and the sockets are piped.
   */
  async relayUpgrade(
    owner: string,
    { req, socket, head }: Upgrade,
    request: Request,
    ownerLost?: AbortSignal,
    /** Called once piped, with what cuts the relay; returns what to call when it ended. */
    piped?: (cut: () => void) => () => void,
  ): Promise<boolean> {
    const upstream = await connectTo(owner);
    if (!upstream) return false;
    if (socket.destroyed) {
      upstream.destroy();
      return true;
    }
    const url = new URL(request.url);
    const lines = [`${req.method ?? "GET"} ${url.pathname}${url.search} HTTP/1.1`];
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i]!;
      if (HANDSHAKE.test(name)) lines.push(`${name}: ${req.rawHeaders[i + 1]!}`);
    }
    for (const [name, value] of this.#marked(request.headers)) if (!HANDSHAKE.test(name)) lines.push(`${name}: ${value}`);
    upstream.write(`${lines.join("\r\n")}\r\n\r\n`);
    if (head.length > 0) upstream.write(head);
    const answer = await firstBytes(upstream, ownerLost);
    if (answer === undefined) {
      upstream.destroy();
      return false;
    }
    if (socket.destroyed) {
      upstream.destroy();
      return true;
    }
    socket.write(answer);
    this.#relays.add(socket);
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      this.#relays.delete(socket);
      socket.destroy();
      upstream.destroy();
      unwatch?.();
    };
    const unwatch = piped?.(end);
    socket.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
    socket.pipe(upstream);
    upstream.pipe(socket);
    return true;
  }

  /**
   * Proxies `request` to `owner`: its answer, or `undefined` when the owner cannot be reached (the body untouched).
   * When the owner goes away after the body went out (it died, or `ownerLost` aborted: it lost the room while frozen), the
   * outcome is unknown: a 503 that says so.
   */
  proxy(owner: string, request: Request, ownerLost?: AbortSignal): Promise<Response | undefined> {
    const target = new URL(request.url);
    const base = new URL(owner);
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of this.#marked(request.headers)) if (!HOP_BY_HOP.has(name)) headers[name] = value;
    return new Promise((resolve) => {
      let sent = false;
      const outgoing = httpRequest({
        host: base.hostname,
        port: Number(base.port) || 80,
        method: request.method,
        path: target.pathname + target.search,
        headers,
        agent: this.#agent,
      });
      const timer = setTimeout(() => outgoing.destroy(new Error("connect timeout")), CONNECT_TIMEOUT_MS);
      // The body starts only once the owner took the connection: an unreachable owner leaves it for a retry here.
      const send = () => {
        clearTimeout(timer);
        sent = true;
        if (request.body) Readable.fromWeb(request.body as NodeReadableStream).pipe(outgoing);
        else outgoing.end();
      };
      outgoing.once("socket", (socket: Socket) => (socket.connecting ? socket.once("connect", send) : send()));
      const abandon = () => outgoing.destroy(new Error("the owner lost the room"));
      ownerLost?.addEventListener("abort", abandon, { once: true });
      outgoing.once("response", (res) => {
        ownerLost?.removeEventListener("abort", abandon);
        resolve(toResponse(res, request.method));
      });
      outgoing.once("error", () => {
        clearTimeout(timer);
        ownerLost?.removeEventListener("abort", abandon);
        // A GET or HEAD is asked again of the room's next owner; anything else may have taken effect already.
        resolve(sent && request.method !== "GET" && request.method !== "HEAD" ? ownerGoneMidRequest() : undefined);
      });
    });
  }

  /** Ends every relayed socket (the server is closing: its clients reconnect to another node). */
  endRelays(): void {
    for (const socket of this.#relays) socket.destroy();
  }

  /** Ends every relayed socket and the proxy's connections (shutdown). */
  close(): void {
    this.endRelays();
    this.#agent.destroy();
  }

  /** The request's headers, with the cluster's marks: the secret and the hop. */
  #marked(headers: Headers): Headers {
    const marked = new Headers(headers);
    marked.set(CLUSTER_HEADER, this.secret);
    marked.set(HOP_HEADER, "1");
    return marked;
  }
}

/** The first bytes `upstream` sends (then paused, for a pipe), or `undefined` if it ends or `signal` aborts first. */
function firstBytes(upstream: Socket, signal: AbortSignal | undefined): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const done = (chunk?: Buffer): void => {
      upstream.off("data", done).off("close", ended).off("error", ended);
      signal?.removeEventListener("abort", ended);
      upstream.pause();
      resolve(chunk);
    };
    const ended = (): void => done(undefined);
    upstream.on("data", done).once("close", ended).once("error", ended);
    signal?.addEventListener("abort", ended, { once: true });
  });
}

/** The owner went away after the request's body reached it: it may or may not have acted on it. */
function ownerGoneMidRequest(): Response {
  const response = errorResponse(
    "ERR_ROOM_UNAVAILABLE",
    "The node serving this room went away while it handled the request, which may or may not have taken effect; try again (sending a Yjs update again is harmless)",
    503,
  );
  response.headers.set("retry-after", "1");
  // Not the room's answer: the entry node's stub call rejects with it (a Durable Object stub throws on a lost connection).
  response.headers.set(REFUSED_HEADER, "1");
  return response;
}

function connectTo(owner: string): Promise<Socket | undefined> {
  const url = new URL(owner);
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) || 80 });
    const fail = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(undefined);
    };
    const timer = setTimeout(fail, CONNECT_TIMEOUT_MS);
    socket.once("error", fail);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.off("error", fail);
      socket.setNoDelay(true);
      resolve(socket);
    });
  });
}

function toResponse(res: IncomingMessage, method: string): Response {
  const headers = new Headers();
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
    const name = res.rawHeaders[i]!;
    if (!HOP_BY_HOP.has(name.toLowerCase()) || name.toLowerCase() === "content-length") headers.append(name, res.rawHeaders[i + 1]!);
  }
  const status = res.statusCode ?? 502;
  const bodyless = method === "HEAD" || status === 204 || status === 304;
  if (bodyless) res.resume();
  return new Response(bodyless ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), { status, statusText: res.statusMessage, headers });
}
