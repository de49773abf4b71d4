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
 * It keeps one record per socket, on the TCP socket, and one listener function for all of them: a read costs it a few
 * field reads and a subtraction.
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

interface Counted {
  readonly budget: FrameBudget;
  readonly ws: WsSocket;
  readonly refuse: RefuseSocket;
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

const COUNTED = Symbol("yparty.frameBudget");
type WatchedSocket = Socket & { [COUNTED]?: Counted };

function onData(this: WatchedSocket): void {
  const counted = this[COUNTED];
  if (counted) counted.budget.recount(counted);
}

function onClose(this: WatchedSocket): void {
  const counted = this[COUNTED];
  if (!counted) return;
  clearTimeout(counted.cut);
  counted.closed = true;
  if (counted.dropsHeld) counted.held = counted.reassembled = 0;
  counted.budget.recount(counted);
}

/**
 * A refused socket's message must never be finished, whoever resumes the socket later (a raw socket's `onSocket`,
 * a shutdown) and whatever is still buffered when it closes (`ws` reads that into its receiver): `ws` is no longer
 * fed, and the rest is read and dropped (only `onData` listens, and counts no more), as `ws` does with a frame past
 * its `maxPayload`. The socket ends after the close frame, so a client that answers it closes at once.
 */
function stopReceiving(ws: WsSocket): void {
  const socket = tcpSocketOf(ws);
  if (!socket) return;
  for (const listener of socket.listeners("data")) if (listener !== onData) socket.removeListener("data", listener as () => void);
  socket.resume();
  socket.end();
}

const countedOf = (ws: WsSocket): Counted | undefined => (tcpSocketOf(ws) as WatchedSocket | null)?.[COUNTED];

/** `ws` holds a complete message of `bytes` that its room will handle later (the connection is not read meanwhile). */
export function heldFrame(ws: WsSocket, bytes: number): void {
  const counted = countedOf(ws);
  if (!counted) return;
  counted.held += bytes;
  counted.budget.recount(counted);
}

/**
 * The server closed `ws` for good (not because it or its room is going away): what its room still holds of it is
 * dropped, and stays counted until its socket closes (a client that does not answer the close keeps it open 30 s).
 */
export function heldFramesDropped(ws: WsSocket): void {
  const counted = countedOf(ws);
  if (counted) counted.dropsHeld = true;
}

/** The messages `ws` held are handed to its room (or dropped): it is read again. */
export function heldFramesGone(ws: WsSocket): void {
  const counted = countedOf(ws);
  if (!counted || counted.held === 0) return;
  counted.held = 0;
  counted.budget.recount(counted);
}

/** `ws`'s room holds `bytes` of a message it reassembles from several (0: none now). */
export function reassembling(ws: WsSocket, bytes: number): void {
  const counted = countedOf(ws);
  if (!counted || counted.reassembled === bytes) return;
  counted.reassembled = bytes;
  counted.budget.recount(counted);
}

export class FrameBudget {
  #count = 0;

  constructor(private readonly maxBytes: number) {}

  /** Bytes counted now, server-wide. */
  get count(): number {
    return this.#count;
  }

  /** Counts what `ws`'s client sends from now on; `refuse` closes it when it would pass the budget. */
  watch(ws: WsSocket, refuse: RefuseSocket = closeSocket): void {
    const socket = tcpSocketOf(ws) as WatchedSocket | null;
    if (!socket || socket[COUNTED]) return;
    socket[COUNTED] = { budget: this, ws, refuse, held: 0, reassembled: 0, counted: 0, refused: false, dropsHeld: false, closed: false };
    // After `ws`'s own listener: what it holds is read once the messages this read completed are out.
    socket.on("data", onData);
    socket.on("close", onClose);
  }

  /**
   * @internal What `counted`'s socket holds or is owed changed. Once its socket closed, only what its room holds counts
   * (`ws` keeps what it had read of a message cut short, never to be finished), until the room hands it over.
   */
  recount(counted: Counted): void {
    const receiving = counted.closed ? 0 : bytesBeingReceived(counted.ws);
    const bytes = Math.max(0, receiving + counted.held + counted.reassembled - FREE_BYTES_PER_SOCKET);
    const over = bytes > counted.counted && this.#count + bytes - counted.counted > this.maxBytes;
    // A refused socket reads nothing more: what it holds stays counted until it closes.
    if (over && !counted.closed && !counted.refused) return this.#refuse(counted, bytes);
    if (counted.refused && !counted.closed) return;
    this.#count += bytes - counted.counted;
    counted.counted = bytes;
  }

  #refuse(counted: Counted, bytes: number): void {
    counted.refused = true;
    const { ws } = counted;
    const alone = bytes + FREE_BYTES_PER_SOCKET > this.maxBytes;
    if (alone) counted.refuse(ws, CloseCode.MessageTooBig, "Message too big for the server");
    else counted.refuse(ws, CloseCode.TryAgainLater, "Server busy receiving other large messages; try again later");
    stopReceiving(ws);
    counted.cut = setTimeout(() => ws.terminate(), REFUSED_GRACE_MS).unref();
  }
}
