/**
 * One WebSocket connected to a room, as user code sees it (`Party.Connection`): the DOM WebSocket
 * surface over a `ws` socket, plus `id`, `uri`, `tags`, `state`/`setState` and attachments.
 * It does not decide policy: the room owns hook calls, the socket policies own limits.
 */
import type { Duplex } from "node:stream";
import type { WebSocket as WsSocket } from "ws";
import { CloseCode } from "../protocol/index.js";
import { ConnectionEvents, type ConnectionEvent } from "./connection-events.js";
import type { Connection } from "./party-types.js";
import { LargestFrame } from "./largest-frame.js";
import { bytesOf, FRAGMENT_BYTES, PacedSender, Text } from "./paced-sender.js";
import type { BufferHolder, SendBufferLimit } from "./send-budget.js";
import { tcpSocketOf } from "./ws.js";
import { DIRECT_FRAME_MAX_BYTES, keptPayload, utf8Of, writeDirectFrame } from "./direct-frame.js";
import { releaseFirstWrite } from "./first-write.js";
import type { CorkedFirstWrite } from "./corked-first-write.js";
import { RoomSideSocket } from "./local-socket.js";
import type { FrameBudget, RefuseSocket } from "./frame-budget.js";

/** What a connection reports to the runtime. */
export interface ConnectionOwner {
  /** A frame arrived on its socket (text or binary, as `ws` read it). */
  frameReceived(connection: RoomConnection, data: Buffer, isBinary: boolean): void;
  /** Its socket closed. */
  socketClosed(connection: RoomConnection, code: number, reason: Buffer): void;
  /** Its socket failed (the close follows). */
  socketFailed(connection: RoomConnection, error: Error): void;
  /** After a send, `unsent` bytes left: the runtime judges the connection's unsent bytes (it closes one that never reads). */
  afterSend(connection: RoomConnection, unsent: number): void;
  /** Its unsent bytes passed `limit`: close it with 4008. */
  sendBufferFull(connection: RoomConnection, limit: SendBufferLimit): void;
  /** A message listener threw. */
  listenerFailed(connection: RoomConnection, error: unknown): void;
  /** Its client's messages would pass the server's budget (frame-budget.ts): close it with `code`, drop what it sent. */
  incomingRefused(connection: RoomConnection, code: number, reason: string): void;
  /** The server's budget of messages read and not handled yet: what the room holds of its frames counts there. */
  readonly frameBudget: FrameBudget;
}

const READY_STATE = { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 } as const;
const NO_TAGS: readonly string[] = Object.freeze([]);
/** Marks a connection whose one tag is its id. */
const ID_ONLY: readonly string[] = Object.freeze([]);

/**
 * The socket's listeners are these three functions, shared by every connection (`this` is the socket, which names its
 * connection): an idle connection keeps no closure of its own, and its listeners hold neither the request nor the room.
 */
const CONNECTION = Symbol("yparty.connection");
type OwnedSocket = WsSocket & { [CONNECTION]: RoomConnection };

function onSocketMessage(this: OwnedSocket, data: Buffer, isBinary: boolean): void {
  const connection = this[CONNECTION];
  connection.owner.frameReceived(connection, data, isBinary);
  // Not read any more: the frame waits for its room (or joined those waiting), counted until they are handled.
  if (connection.readingPaused) connection.owner.frameBudget.heldFrame(this, data.byteLength);
}

/**
 * How the frame budget closes a room's socket: through its room once it has one (its held frames go, its close is the
 * server's), as it is before (a socket waiting for its room to be ready is not read, so it sends nothing to count).
 */
export const refuseRoomSocket: RefuseSocket = (ws, code, reason) => {
  const connection = (ws as Partial<OwnedSocket>)[CONNECTION];
  if (connection) connection.owner.incomingRefused(connection, code, reason);
  else ws.close(code, reason);
};
function onSocketClose(this: OwnedSocket, code: number, reason: Buffer): void {
  const connection = this[CONNECTION];
  connection.owner.socketClosed(connection, code, reason);
}
function onSocketError(this: OwnedSocket, error: Error): void {
  const connection = this[CONNECTION];
  connection.owner.socketFailed(connection, error);
}

/** Its TCP socket, when it holds writes back to write them together (`cork`). */
function corkedSocket(ws: WsSocket): Duplex | undefined {
  const socket = tcpSocketOf(ws);
  return socket && socket.writableCorked > 0 ? socket : undefined;
}
/** The most a corked first write holds back (the upgrade's answer and a greeting are a few hundred bytes). */
const MAX_CORKED_BYTES = 64 * 1024;

export class RoomConnection implements BufferHolder {
  static readonly CONNECTING = READY_STATE.CONNECTING;
  static readonly OPEN = READY_STATE.OPEN;
  static readonly CLOSING = READY_STATE.CLOSING;
  static readonly CLOSED = READY_STATE.CLOSED;
  // On the prototype (below the class), as the DOM's WebSocket has them: not four fields on every connection.
  declare readonly CONNECTING: typeof READY_STATE.CONNECTING;
  declare readonly OPEN: typeof READY_STATE.OPEN;
  declare readonly CLOSING: typeof READY_STATE.CLOSING;
  declare readonly CLOSED: typeof READY_STATE.CLOSED;

  /**
   * Binary frames arrive as ArrayBuffer whatever this says (Workers' only kind, so PartyKit's); kept for DOM
   * compatibility. On the prototype until set, as the ready states.
   */
  declare binaryType: BinaryType;
  /** @internal Its room called `onConnect` for it, and `onClose` is still to come (`onError` may be called). */
  connected = false;
  /** Undefined until `connect`; `ID_ONLY` while its id is its one tag (made into an array only when asked for). */
  #tags: readonly string[] | undefined;
  #events: ConnectionEvents | undefined;
  #state: unknown = null;
  #attachment: unknown = null;
  /** Made by the first send the socket could not write at once (until then every frame sent was written). */
  #largestFrame: LargestFrame | undefined;
  /** Made for the first message over `FRAGMENT_BYTES` (but a text to a socket in this process). */
  #paced: PacedSender | undefined;
  /** Holders that stopped reading its socket (the room's inbox, a party holding frames): it reads again once none do. */
  #readPauses = 0;
  /** Undefined until `onConnect` has settled (or the room gave up on it), then null; its held first write meanwhile. */
  #firstWrite: CorkedFirstWrite | null | undefined;

  constructor(
    readonly id: string,
    readonly uri: string,
    readonly ws: WsSocket,
    /** @internal The room it belongs to. */
    readonly owner: ConnectionOwner,
  ) {}

  /** Its id, then the party's tags for it (`getConnectionTags`); none until its room connected it. */
  get tags(): readonly string[] {
    const tags = this.#tags;
    return tags === ID_ONLY ? (this.#tags = [this.id]) : (tags ?? NO_TAGS);
  }

  hasTag(tag: string): boolean {
    const tags = this.#tags;
    return tags === ID_ONLY ? tag === this.id : tags !== undefined && tags.includes(tag);
  }

  /** @internal Its room calls `onConnect` for it next; `tags` (id first) when the party gave it more than its id. */
  connect(tags: readonly string[] | undefined): void {
    this.#tags = tags ?? ID_ONLY;
    this.connected = true;
  }

  /** @internal Whether `onConnect` has yet to run or settle for it: its first frames are still to come. */
  get awaitsConnect(): boolean {
    return this.#firstWrite === undefined;
  }

  /**
   * @internal Keeps its socket, corked since the upgrade with the 101 in it, corked until `onConnect` settles (at most
   * `FIRST_WRITE_WAIT_MS` since the upgrade): a connection that waited for its room's start, or whose `onConnect`
   * awaited, gets the 101 and its first frames in one write, as one that joined a running room does.
   * A client sends nothing before the 101, so nothing it sends waits on this.
   */
  holdFirstWrite(held: CorkedFirstWrite): void {
    this.#firstWrite = held;
    held.keptBy(this);
  }

  /** @internal `onConnect` returned without a promise, its promise settled, or it threw: what is held goes. */
  connectSettled(): void {
    this.#releaseFirstWrite();
  }

  #releaseFirstWrite(): void {
    const held = this.#firstWrite;
    this.#firstWrite = null;
    held?.release();
  }

  /** Reports its socket's frames, close and errors to its owner from now on. */
  listen(): void {
    (this.ws as OwnedSocket)[CONNECTION] = this;
    this.ws.on("message", onSocketMessage as (this: WsSocket, data: Buffer, isBinary: boolean) => void);
    this.ws.on("close", onSocketClose as (this: WsSocket, code: number, reason: Buffer) => void);
    this.ws.on("error", onSocketError as (this: WsSocket, error: Error) => void);
  }

  /** The DOM-style listeners, made on first use: most connections never get one (party hooks do the work). */
  get events(): ConnectionEvents {
    return (this.#events ??= new ConnectionEvents((error) => this.owner.listenerFailed(this, error)));
  }

  hasListeners(type: string): boolean {
    return this.#events !== undefined && this.#events.hasListeners(type);
  }

  /** Dispatches to the listeners of `event.type`, if there are any; returns their async work (see ConnectionEvents). */
  notify(event: ConnectionEvent): Promise<void> | undefined {
    return this.#events?.dispatch(event);
  }

  get readyState(): number {
    return this.#paced?.closing ? READY_STATE.CLOSING : this.ws.readyState;
  }
  get url(): string {
    return this.uri;
  }
  get protocol(): string {
    return this.ws.protocol;
  }
  get extensions(): string {
    return this.ws.extensions;
  }
  /** Bytes sent but not written to the network yet (the socket's, and those of a large message still being paced). */
  get bufferedAmount(): number {
    return this.ws.bufferedAmount + (this.#paced?.heldBytes ?? 0);
  }

  /**
   * Unsent bytes beyond the largest single frame still being written: what the send-buffer cap judges, so a
   * client that reads is never cut for the size of one frame (a large document's first sync), while bytes
   * piling up behind it still count.
   */
  get unsentBeyondLargestFrame(): number {
    const buffered = this.bufferedAmount;
    return buffered - (this.#largestFrame?.unsent(buffered) ?? 0);
  }

  /**
   * @internal Whether pausing it pushes back on its client (a network socket: TCP does). An in-process connection's
   * frames would only wait in memory on this side: a holder counts them instead.
   */
  get pushesBack(): boolean {
    return tcpSocketOf(this.ws) !== null;
  }

  /**
   * @internal Stops reading its socket until as many `resumeReading` calls: its client's frames wait in TCP (which
   * pushes back on the client) instead of in memory. Counted, so that one holder's resume does not undo another's pause.
   */
  pauseReading(): void {
    // Closed by the server, it reads the client's answer to the close (what else comes is dropped): counted only.
    if (this.#readPauses++ === 0 && !this.closedByServer) this.ws.pause();
  }
  /** @internal Ends one `pauseReading`; the last one hands the frames held meanwhile over, and reads again. */
  resumeReading(): void {
    if (this.#readPauses === 0) return;
    if (--this.#readPauses > 0) return;
    this.owner.frameBudget.heldFramesGone(this.ws);
    this.ws.resume();
  }

  /** @internal Some holder stopped reading its socket (its frames wait). */
  get readingPaused(): boolean {
    return this.#readPauses > 0;
  }

  /** @internal Its room holds `bytes` of a message it reassembles from several frames (an unfinished y-partykit batch). */
  holding(bytes: number): void {
    this.owner.frameBudget.reassembling(this.ws, bytes);
  }

  onceClosed(listener: () => void): void {
    this.ws.once("close", listener);
  }

  sendBufferFull(limit: SendBufferLimit): void {
    this.owner.sendBufferFull(this, limit);
  }

  terminate(): void {
    this.#closedForGood();
    this.ws.terminate();
  }

  /** @deprecated PartyKit's alias: the connection is the socket. */
  get socket(): this {
    return this;
  }

  get state(): unknown {
    return this.#state;
  }
  setState(next: unknown): unknown {
    this.#state = typeof next === "function" ? (next as (prev: unknown) => unknown)(this.#state) : next;
    return this.#state;
  }

  /** Stores a structured-clone copy, as Durable Objects do. */
  serializeAttachment(attachment: unknown): void {
    this.#attachment = attachment === undefined ? null : structuredClone(attachment);
  }
  deserializeAttachment(): unknown {
    return this.#attachment === null ? null : structuredClone(this.#attachment);
  }

  /** Sends a text (string) or binary frame; a no-op once the connection is closing or closed. */
  send(data: string | ArrayBuffer | ArrayBufferView): void {
    if (this.ws.readyState !== READY_STATE.OPEN || this.#paced?.closing) return;
    // A Workers WebSocket sends anything but a string or bytes as its string (`send(5)` sends "5"), as browsers do.
    if (typeof data !== "string" && !(data instanceof ArrayBuffer) && !ArrayBuffer.isView(data)) data = String(data);
    const bytes = typeof data === "string" ? Buffer.byteLength(data) : data.byteLength;
    // A large message is paced (a text as its UTF-8 bytes), but a text to a socket in this process goes whole at once.
    const paced = bytes > FRAGMENT_BYTES && (typeof data !== "string" || !(this.ws instanceof RoomSideSocket));
    // Bytes not framed here (which copies them) are held by reference until written: handed over as `keptPayload`.
    if (this.#paced?.busy || paced) {
      releaseFirstWrite(); // what `ws` writes goes after the upgrade's answer
      const payload = typeof data !== "string" ? bytesOf(keptPayload(data)) : paced ? new Text(utf8Of(data)) : data;
      (this.#paced ??= new PacedSender(this.ws)).send(payload, bytes);
    } else if (bytes > DIRECT_FRAME_MAX_BYTES || !writeDirectFrame(this.ws, data, bytes)) {
      releaseFirstWrite();
      // An in-process connection hands the bytes to its peer at once (a paced message's it holds: copied above).
      this.ws.send(typeof data === "string" || this.ws instanceof RoomSideSocket ? data : keptPayload(data));
    }
    let buffered = this.bufferedAmount;
    const corked = buffered > 0 ? corkedSocket(this.ws) : undefined;
    if (corked) {
      // Written with the upgrade's answer in one write, and judged with it (`uncorked`); a first write grown large
      // goes now, and its frames are judged one by one, as every send is.
      if (buffered <= MAX_CORKED_BYTES) return;
      corked.uncork();
      buffered = this.bufferedAmount;
    }
    // While nothing is left unwritten after a send, no frame is in flight: the tracking starts with the first that is.
    if (buffered > 0 || this.#largestFrame) (this.#largestFrame ??= new LargestFrame()).counted(bytes, buffered);
    this.owner.afterSend(this, buffered);
  }

  /**
   * Its socket was corked while its first frames were sent (written with the upgrade's answer, in one write): what
   * the socket could not write of it is judged now, as one frame.
   */
  uncorked(): void {
    const buffered = this.bufferedAmount;
    if (buffered === 0) return;
    (this.#largestFrame ??= new LargestFrame()).counted(buffered, buffered);
    this.owner.afterSend(this, buffered);
  }

  /** The server (a hook, the room, a fault, a shutdown) closed it: frames still queued from it are not delivered. */
  closedByServer = false;
  /**
   * The server closed it for good — over what it did, or for another connection (`Replaced`), not because the server or
   * its room goes away: what a holder still holds of it (a Yjs room during a load or a slicing) is dropped, not applied.
   */
  discardsInput = false;

  close(code?: number, reason?: string): void {
    // The server or the room going away: what it sent is still applied.
    if (code !== CloseCode.GoingAway && code !== CloseCode.ServiceRestart) this.#closedForGood();
    // Closing already: its client closed it (what it sent before is still delivered), or the server did before.
    if (this.ws.readyState >= READY_STATE.CLOSING) return this.#releaseFirstWrite();
    // Closing already, behind a large message: a second close changes nothing (the runtime's closes that must not wait
    // use `closeAtOnce`; a shutdown's deadline terminates it).
    if (this.#paced?.closing) return;
    this.closedByServer = true;
    // Whoever stopped reading it: it reads the client's answer to the close. The pauses stay counted: each holder
    // still hands over (or drops) what it holds, and the frame budget counts that until then.
    if (this.#readPauses > 0) this.ws.resume();
    releaseFirstWrite(); // the close frame goes after the upgrade's answer
    // Behind a large message still being written, as a browser's close goes behind what it sent.
    const close = () => this.ws.close(code, reason);
    if (this.#paced) this.#paced.closeBehind(close);
    else close();
    this.#releaseFirstWrite(); // with it, if its first write was held for onConnect
  }

  /**
   * @internal Closes it without waiting for a large message still being written: the runtime's closes for what the
   * client did (not reading, sending too much), which must not wait for it to read.
   */
  closeAtOnce(code: number, reason: string): void {
    this.#paced?.abandon();
    this.close(code, reason);
  }

  #closedForGood(): void {
    this.closedByServer = true;
    this.discardsInput = true;
    this.owner.frameBudget.heldFramesDropped(this.ws);
  }

  addEventListener(type: string, listener: ((event: ConnectionEvent) => unknown) | null, options?: boolean | AddEventListenerOptions): void {
    this.events.add(type, listener, options);
  }
  removeEventListener(type: string, listener: ((event: ConnectionEvent) => unknown) | null): void {
    this.events.remove(type, listener);
  }
  dispatchEvent(event: Event): boolean {
    this.events.dispatch(event);
    return true;
  }

  get onmessage() {
    return this.events.getHandler("message");
  }
  set onmessage(fn) {
    this.events.setHandler("message", fn);
  }
  get onclose() {
    return this.events.getHandler("close");
  }
  set onclose(fn) {
    this.events.setHandler("close", fn);
  }
  get onerror() {
    return this.events.getHandler("error");
  }
  set onerror(fn) {
    this.events.setHandler("error", fn);
  }
  get onopen() {
    return this.events.getHandler("open");
  }
  set onopen(fn) {
    this.events.setHandler("open", fn);
  }

  /** The PartyKit-typed view user code receives (the same object). */
  asParty<TState = unknown>(): Connection<TState> {
    return this as unknown as Connection<TState>;
  }
}

for (const [name, value] of Object.entries(READY_STATE)) {
  Object.defineProperty(RoomConnection.prototype, name, { value, enumerable: true });
}
Object.defineProperty(RoomConnection.prototype, "binaryType", { value: "arraybuffer", writable: true, enumerable: true });
