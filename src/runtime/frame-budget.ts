/**
 * Bytes of WebSocket messages read from clients and not handled yet, server-wide (`limits.maxFrameBytesInFlight`): a
 * message still coming in, counted for all its frames' headers announce, and messages held while their room starts or
 * applies a large update (their connection is not read meanwhile, so that is about one message a connection). Each
 * message is bounded by `maxMessageBytes`, but nothing bounded how many at once: 60 connections that each stopped
 * 1 MiB short of the end of a 16 MiB frame held 900 MB, for good (a client that trickles a byte now and then answers
 * the heartbeat).
 *
 * A message is counted from its first frame's header, so the one that does not fit is refused before its bytes are
 * read, as `ws` refuses one past `maxMessageBytes`: the socket is closed with 1013 (try again later), or 1009 when
 * that message alone passes the budget, and is not read any more (it is cut `REFUSED_GRACE_MS` after its close frame
 * if its client does not close first). The messages already counted go on. A socket's first `FREE_BYTES_PER_SOCKET`
 * are not counted: the frames of typing and presence are never refused.
 *
 * An idle socket costs it two fields on its TCP socket and a place in its 'data' listeners (one function for all of
 * them): a socket gets a record of its own only once it holds more than its free bytes, and a read costs a few field
 * reads until then.
 */
import type { Socket } from "node:net";
import type { WebSocket as WsSocket } from "ws";
import { CloseCode } from "../protocol/index.js";
import { bytesBeingReceived, tcpSocketOf } from "./ws.js";

/** Bytes of each socket the budget does not count: the small frames every live client sends. */
export const FREE_BYTES_PER_SOCKET = 16 * 1024;
/** How long a refused socket's client has to answer its close before the socket is cut (its bytes freed). */
export const REFUSED_GRACE_MS = 2_000;

/** Closes a socket the budget refuses: for a room connection its room does it, so that its held frames go too. */
export type RefuseSocket = (ws: WsSocket, code: number, reason: string) => void;

const closeSocket: RefuseSocket = (ws, code, reason) => ws.close(code, reason);

/** What a socket that held more than its free bytes has counted (made then, kept until it closes). */
interface Counted {
  /** Bytes of complete messages held while the connection is not read. */
  held: number;
  /** Bytes of a message its room reassembles from several (an unfinished y-partykit batch). */
  reassembled: number;
  /** What this socket adds to the budget's count now. */
  counted: number;
  refused: boolean;
  /** The server closed it for good: what its room held of it is dropped, not handed over, once its socket closes. */
  dropsHeld: boolean;
  /** Its socket closed: what `ws` had read of a message cut short is not counted; what its room holds still is. */
  closed: boolean;
  /** Cuts a refused socket whose client does not close it (cleared once it closes: it holds the socket). */
  cut?: NodeJS.Timeout;
}

const WATCHED = Symbol("yparty.frameBudget.ws");
const REFUSE = Symbol("yparty.frameBudget.refuse");
const COUNTED = Symbol("yparty.frameBudget.counted");
type WatchedSocket = Socket & { [WATCHED]?: WsSocket; [REFUSE]?: RefuseSocket; [COUNTED]?: Counted };

const watchedOf = (ws: WsSocket): WatchedSocket | undefined => {
  const socket = tcpSocketOf(ws) as WatchedSocket | null;
  return socket?.[WATCHED] === undefined ? undefined : socket;
};

export class FrameBudget {
  #count = 0;
  /** Every watched socket's 'data' listener (`this` is the socket), after `ws`'s own: what `ws` holds is read once the messages this read completed are out. */
  readonly #onData: (this: WatchedSocket) => void;
  /** Its 'close' listener, added with its record. */
  readonly #onClose: (this: WatchedSocket) => void;

  constructor(private readonly maxBytes: number) {
    const budget = this;
    this.#onData = function (this: WatchedSocket) {
      budget.recount(this);
    };
    this.#onClose = function (this: WatchedSocket) {
      budget.#closed(this);
    };
  }

  /** Bytes counted now, server-wide. */
  get count(): number {
    return this.#count;
  }

  /** Counts what `ws`'s client sends from now on; `refuse` closes it when it would pass the budget. */
  watch(ws: WsSocket, refuse: RefuseSocket = closeSocket): void {
    const socket = tcpSocketOf(ws) as WatchedSocket | null;
    if (!socket || socket[WATCHED] !== undefined) return;
    socket[WATCHED] = ws;
    if (refuse !== closeSocket) socket[REFUSE] = refuse;
    socket.on("data", this.#onData);
  }

  /** `ws` holds a complete message of `bytes` that its room will handle later (the connection is not read meanwhile). */
  heldFrame(ws: WsSocket, bytes: number): void {
    const socket = watchedOf(ws);
    if (!socket) return;
    this.#record(socket).held += bytes;
    this.recount(socket);
  }

  /** The messages `ws` held are handed to its room (or dropped): it is read again. */
  heldFramesGone(ws: WsSocket): void {
    const socket = watchedOf(ws);
    const counted = socket?.[COUNTED];
    if (!counted || counted.held === 0) return;
    counted.held = 0;
    this.recount(socket!);
  }

  /**
   * The server closed `ws` for good (not because it or its room is going away): what its room still holds of it is
   * dropped, and stays counted until its socket closes (a client that does not answer the close keeps it open 30 s).
   */
  heldFramesDropped(ws: WsSocket): void {
    const counted = watchedOf(ws)?.[COUNTED];
    if (counted) counted.dropsHeld = true;
  }

  /** `ws`'s room holds `bytes` of a message it reassembles from several (0: none now). */
  reassembling(ws: WsSocket, bytes: number): void {
    const socket = watchedOf(ws);
    if (!socket || (socket[COUNTED]?.reassembled ?? 0) === bytes) return;
    this.#record(socket).reassembled = bytes;
    this.recount(socket);
  }

  /**
   * @internal What `socket` holds or is owed changed. Once it closed, only what its room holds counts (`ws` keeps what
   * it had read of a message cut short, never to be finished), until the room hands it over.
   */
  recount(socket: WatchedSocket): void {
    let counted = socket[COUNTED];
    const receiving = counted?.closed ? 0 : bytesBeingReceived(socket[WATCHED]!);
    // Most reads: a socket with nothing counted that still holds no more than its free bytes.
    if (counted === undefined && receiving <= FREE_BYTES_PER_SOCKET) return;
    counted ??= this.#record(socket);
    const bytes = Math.max(0, receiving + counted.held + counted.reassembled - FREE_BYTES_PER_SOCKET);
    const over = bytes > counted.counted && this.#count + bytes - counted.counted > this.maxBytes;
    // A refused socket reads nothing more: what it holds stays counted until it closes.
    if (over && !counted.closed && !counted.refused) return this.#refuse(socket, counted, bytes);
    if (counted.refused && !counted.closed) return;
    this.#count += bytes - counted.counted;
    counted.counted = bytes;
  }

  #record(socket: WatchedSocket): Counted {
    let counted = socket[COUNTED];
    if (counted) return counted;
    counted = socket[COUNTED] = { held: 0, reassembled: 0, counted: 0, refused: false, dropsHeld: false, closed: false };
    socket.on("close", this.#onClose);
    return counted;
  }

  #closed(socket: WatchedSocket): void {
    const counted = socket[COUNTED]!;
    clearTimeout(counted.cut);
    counted.closed = true;
    if (counted.dropsHeld) counted.held = counted.reassembled = 0;
    this.recount(socket);
  }

  #refuse(socket: WatchedSocket, counted: Counted, bytes: number): void {
    counted.refused = true;
    const ws = socket[WATCHED]!;
    const refuse = socket[REFUSE] ?? closeSocket;
    if (bytes + FREE_BYTES_PER_SOCKET > this.maxBytes) refuse(ws, CloseCode.MessageTooBig, "Message too big for the server");
    else refuse(ws, CloseCode.TryAgainLater, "Server busy receiving other large messages; try again later");
    this.#stopReceiving(socket);
    counted.cut = setTimeout(() => ws.terminate(), REFUSED_GRACE_MS).unref();
  }

  /**
   * A refused socket's message must never be finished, whoever resumes the socket later (a raw socket's `onSocket`,
   * a shutdown) and whatever is still buffered when it closes (`ws` reads that into its receiver): `ws` is no longer
   * fed, and the rest is read and dropped (only the budget listens, and counts no more), as `ws` does with a frame
   * past its `maxPayload`. The socket ends after the close frame, so a client that answers it closes at once.
   */
  #stopReceiving(socket: WatchedSocket): void {
    for (const listener of socket.listeners("data")) if (listener !== this.#onData) socket.removeListener("data", listener as () => void);
    socket.resume();
    socket.end();
  }
}
