/**
 * `yparty/rooms-client`: a typed, browser-safe client of the rooms protocol (seed 004). One WebSocket multiplexes
 * every room; each joined room keeps a `StateMirror` that verifies seq and checksum and resyncs by itself, acks
 * what it applied, and the client reconnects with backoff, resuming its session (or rejoining its rooms by name
 * when the server no longer has it).
 */
import { backoffDelay } from "../provider/backoff.js";
import {
  decodeEnvelope,
  encodeEnvelope,
  MessageType,
  RoomsCloseCode,
  type Codec,
  type Envelope,
  type JsonPatchOp,
  type MatchFound,
  type RequestId,
  type RoomListing,
} from "../src/rooms/wire/index.js";
import { StateMirror } from "./mirror.js";
import { lostConnectionReason, webSocketConstructor, type WebSocketLike } from "./socket.js";

export interface ConnectOptions {
  token: string | (() => string | Promise<string>);
  /** In order of preference; default `["msgpack", "json"]`. */
  codecs?: Codec[];
  projectId?: string;
  /** For Node 20, which has no global WebSocket: `(await import("ws")).WebSocket`. */
  WebSocket?: unknown;
  /** Reconnect after a lost connection (default true), waiting `initialMs` doubling to `maxMs` (250 ms, 10 s). */
  reconnect?: boolean;
  backoff?: { initialMs?: number; maxMs?: number };
  /** Acks are sent at most this often per room (default 50 ms). */
  ackDelayMs?: number;
}

export type RoomsClientEvent =
  | { type: "message"; room: string; messageType: string; data: unknown; bytes?: Uint8Array }
  | { type: "state"; room: string; state: unknown; seq: number }
  | { type: "error"; reason: string; room?: string }
  | { type: "match.found"; match: MatchFound }
  | { type: "status"; status: "connecting" | "open" | "reconnecting" | "closed"; code?: number };

/** Refused by the server (`rpc.response {ok: false}`), or the connection was lost before the answer. */
export class RoomsRequestError extends Error {
  override readonly name = "RoomsRequestError";
}

export class JoinedRoom<S = unknown> {
  readonly mirror = new StateMirror<S>();
  constructor(
    readonly client: RoomsClient,
    readonly room: string,
    readonly roomType: string,
    readonly options: Record<string, unknown>,
  ) {}
  get state(): S | undefined {
    return this.mirror.state;
  }
  get seq(): number {
    return this.mirror.seq;
  }
  send(type: string, data: unknown): void {
    this.client.send(this.room, type, data);
  }
  sendBytes(type: string, bytes: Uint8Array): void {
    this.client.sendBytes(this.room, type, bytes);
  }
  leave(): Promise<void> {
    return this.client.leave(this.room);
  }
}

const DEFAULT_CODECS: Codec[] = ["msgpack", "json"];
/** Close codes after which reconnecting cannot help. */
const FINAL_CODES = new Set<number>([RoomsCloseCode.BadRequest, RoomsCloseCode.Unauthorized]);

/** Connects and resolves once the handshake is done; if the first connection fails, closes the client and rejects. */
export function connect(url: string, options: ConnectOptions): Promise<RoomsClient> {
  const client = new RoomsClient(url, options);
  return client.opened.then(
    () => client,
    (error: unknown) => {
      client.close(); // nobody holds it: it must not go on retrying
      throw error;
    },
  );
}

export class RoomsClient {
  sessionId: string | undefined;
  player: string | undefined;
  codec: Codec = "json";
  /** Resolves at the first handshake.ok; rejects if the first connection fails. */
  readonly opened: Promise<void>;
  readonly rooms = new Map<string, JoinedRoom>();
  readonly #listeners = new Set<(event: RoomsClientEvent) => void>();
  readonly #pending = new Map<
    RequestId,
    { resolve(p: Record<string, unknown>): void; reject(error: Error): void; onOk?: (p: Record<string, unknown>) => void }
  >();
  readonly #acks = new Map<string, ReturnType<typeof setTimeout>>();
  /** Matchmaking queues it waits in (room type → size), entered again after a lost socket. */
  readonly #queued = new Map<string, number>();
  #ws: WebSocketLike | undefined;
  #ready = false;
  #nextRid = 1;
  #attempt = 0;
  #closed = false;
  #retry: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly url: string,
    private readonly options: ConnectOptions,
  ) {
    this.opened = new Promise((resolve, reject) => {
      const off = this.on((event) => {
        if (event.type !== "status") return;
        if (event.status === "open") resolve();
        else if (event.status === "closed" || event.status === "reconnecting")
          reject(new RoomsRequestError(`could not connect to ${url} (close ${event.code})`));
        else return;
        off();
      });
    });
    this.opened.catch(() => {});
    this.#start();
  }

  on(listener: (event: RoomsClientEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async joinOrCreate<S = unknown>(roomType: string, options: { room?: string; options?: Record<string, unknown> } = {}): Promise<JoinedRoom<S>> {
    let joined: JoinedRoom<S> | undefined;
    // Registered as the answer is read: the snapshot may follow in the same read, before this function resumes.
    await this.#request(
      MessageType.JoinOrCreate,
      { room_type: roomType, ...(options.room === undefined ? {} : { room: options.room }), options: options.options ?? {} },
      (answer) => {
        joined = new JoinedRoom<S>(this, answer.room as string, roomType, options.options ?? {});
        this.rooms.set(joined.room, joined as JoinedRoom);
      },
    );
    return joined!;
  }

  async leave(room: string): Promise<void> {
    this.rooms.delete(room);
    await this.#request(MessageType.Leave, { room });
  }

  async list(roomType?: string): Promise<RoomListing[]> {
    return (await this.#request(MessageType.List, roomType === undefined ? {} : { room_type: roomType })).rooms as RoomListing[];
  }

  /**
   * Waits in the room type's matchmaker; `match.found` comes as an event (`on`). A lost socket takes the session out
   * of the queue: the client enqueues again by itself once it is back, until the match is found or it dequeues.
   */
  async enqueue(roomType: string, size: number): Promise<void> {
    await this.#request(MessageType.Enqueue, { room_type: roomType, size });
    this.#queued.set(roomType, size);
  }

  async dequeue(roomType?: string): Promise<number> {
    if (roomType === undefined) this.#queued.clear();
    else this.#queued.delete(roomType);
    return (await this.#request(MessageType.Dequeue, roomType === undefined ? {} : { room_type: roomType })).dequeued as number;
  }

  send(room: string, type: string, data: unknown): void {
    this.#send(MessageType.Message, { room, type, data });
  }

  sendBytes(room: string, type: string, bytes: Uint8Array): void {
    this.#send(MessageType.MessageBytes, { room, type, data_b64: toBase64(bytes) });
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#retry);
    for (const timer of this.#acks.values()) clearTimeout(timer);
    this.#ws?.close(1000, "Client closed");
    this.#failPending("the client was closed");
    this.#emit({ type: "status", status: "closed", code: 1000 });
  }

  // ---- connection ------------------------------------------------------------------------------

  /** A token function that throws or a missing WebSocket ends the client: retrying cannot help. */
  #start(): void {
    this.#open().catch((error: Error) => {
      this.#closed = true;
      this.#emit({ type: "error", reason: error.message });
      this.#emit({ type: "status", status: "closed" });
    });
  }

  async #open(): Promise<void> {
    this.#emit({ type: "status", status: this.#attempt === 0 ? "connecting" : "reconnecting" });
    const token = typeof this.options.token === "function" ? await this.options.token() : this.options.token;
    const ws = new (webSocketConstructor(this.options.WebSocket))(this.url);
    this.#ws = ws;
    ws.binaryType = "arraybuffer";
    ws.onopen = () => {
      const p = {
        v: 1,
        codecs: this.options.codecs ?? DEFAULT_CODECS,
        project_id: this.options.projectId ?? "",
        token,
        ...(this.sessionId ? { session_id: this.sessionId } : {}),
      };
      ws.send(JSON.stringify({ t: MessageType.Handshake, p }));
    };
    ws.onmessage = (event) => this.#receive(event.data);
    ws.onclose = (event) => this.#lost(ws, event.code);
    ws.onerror = () => {};
  }

  #lost(ws: WebSocketLike, code: number): void {
    if (this.#ws !== ws) return;
    this.#ws = undefined;
    this.#ready = false;
    const reconnects = !this.#closed && this.options.reconnect !== false && !FINAL_CODES.has(code);
    this.#failPending(lostConnectionReason(code, reconnects));
    if (this.#closed) return;
    if (this.options.reconnect === false || FINAL_CODES.has(code)) {
      this.#closed = true;
      this.#emit({ type: "status", status: "closed", code });
      return;
    }
    this.#emit({ type: "status", status: "reconnecting", code });
    const delay = backoffDelay(this.#attempt++, { initialMs: this.options.backoff?.initialMs ?? 250, maxMs: this.options.backoff?.maxMs ?? 10_000 });
    this.#retry = setTimeout(() => this.#start(), delay);
  }

  #receive(data: unknown): void {
    const frame = typeof data === "string" ? data : new Uint8Array(data as ArrayBuffer);
    let envelope: Envelope<Record<string, any>>;
    try {
      envelope = decodeEnvelope(this.#ready ? this.codec : "json", frame) as Envelope<Record<string, any>>;
    } catch (error) {
      return this.#emit({ type: "error", reason: `a frame from the server could not be read: ${(error as Error).message}` });
    }
    const p = envelope.p;
    switch (envelope.t) {
      case MessageType.HandshakeOk:
        return this.#handshakeOk(p);
      case MessageType.RpcResponse: {
        const pending = envelope.rid === undefined ? undefined : this.#pending.get(envelope.rid);
        if (!pending) return;
        this.#pending.delete(envelope.rid!);
        if (p.ok) {
          pending.onOk?.(p);
          pending.resolve(p);
        } else pending.reject(new RoomsRequestError(p.reason));
        return;
      }
      case MessageType.Snapshot:
      case MessageType.Patch:
        return this.#state(envelope.t, p);
      case MessageType.Message:
        return this.#emit({ type: "message", room: p.room, messageType: p.type, data: p.data });
      case MessageType.MessageBytes: {
        const bytes = fromBase64(p.data_b64);
        return this.#emit({ type: "message", room: p.room, messageType: p.type, data: bytes, bytes });
      }
      case MessageType.MatchFound: {
        this.#queued.delete((p as MatchFound).room_type);
        return this.#emit({ type: "match.found", match: p as MatchFound });
      }
      case MessageType.Error:
        if (p.closed === true) this.rooms.delete(p.room); // the room closed this player's connection: no longer in it
        return this.#emit({ type: "error", reason: p.reason, ...(p.room === undefined ? {} : { room: p.room }) });
    }
  }

  #handshakeOk(p: Record<string, any>): void {
    this.#ready = true;
    this.#attempt = 0;
    this.codec = p.codec;
    const resumed = p.resumed === true && p.session_id === this.sessionId;
    this.sessionId = p.session_id;
    this.player = p.player;
    this.#emit({ type: "status", status: "open" });
    // Back in the queues the lost socket took it out of.
    for (const [roomType, size] of this.#queued) this.#requeue(roomType, size);
    if (resumed) {
      const inSession = new Set(((p.rooms ?? []) as Array<{ room: string }>).map(({ room }) => room));
      // A join whose answer the lost socket took: the session is in a room this client does not know. Leave it.
      for (const room of inSession) if (!this.rooms.has(room)) this.#send(MessageType.Leave, { room });
      // Taken out of a room while away (the error saying so had no socket to go to): no longer in it.
      for (const room of [...this.rooms.keys()]) {
        if (inSession.has(room)) continue;
        this.rooms.delete(room);
        this.#emit({ type: "error", reason: `no longer in room "${room}" (it let this player go while the connection was lost)`, room });
      }
      // A resync asked for (or its snapshot) may have gone with the socket: asked again.
      for (const joined of this.rooms.values())
        if (joined.mirror.resyncing) this.#send(MessageType.Resync, { room: joined.room, reason: "resumed while resyncing" });
      return;
    }
    // A new session: rooms we were in are gone from it; join them again by name (each sends a fresh snapshot).
    for (const joined of this.rooms.values()) {
      joined.mirror.resyncing = true;
      this.#request(MessageType.JoinOrCreate, { room_type: joined.roomType, room: joined.room, options: joined.options }).catch((error: Error) => {
        this.rooms.delete(joined.room);
        this.#emit({ type: "error", reason: `could not rejoin "${joined.room}": ${error.message}`, room: joined.room });
      });
    }
  }

  /**
   * Enqueues again after a lost socket. The server refuses it when a match was made for the player as the socket
   * dropped (its `match.found` comes right behind the handshake, and takes the room type out of `#queued`), also when
   * that `match.found` went to another session of the player that had a socket: then nothing else tells the app, so
   * the refusal does (an `error` event), and the client is no longer in that queue. A socket lost again meanwhile
   * (not ready): it enqueues again once back.
   */
  #requeue(roomType: string, size: number): void {
    this.#request(MessageType.Enqueue, { room_type: roomType, size }).catch((error: Error) => {
      if (!this.#ready || !this.#queued.has(roomType)) return;
      this.#queued.delete(roomType);
      this.#emit({ type: "error", reason: `no longer queued for "${roomType}": ${error.message}` });
    });
  }

  #state(type: string, p: Record<string, any>): void {
    const joined = this.rooms.get(p.room);
    if (!joined) return;
    const verdict =
      type === MessageType.Snapshot
        ? joined.mirror.snapshot(p as { state: unknown; seq: number; checksum?: string })
        : joined.mirror.patch(p as { ops: JsonPatchOp[]; seq: number; checksum?: string });
    if (verdict === "resync") {
      this.#send(MessageType.Resync, { room: joined.room, reason: "seq gap or checksum mismatch" });
      return;
    }
    if (verdict !== "applied") return;
    this.#scheduleAck(joined);
    this.#emit({ type: "state", room: joined.room, state: joined.mirror.state, seq: joined.mirror.seq });
  }

  #scheduleAck(joined: JoinedRoom): void {
    if (this.#acks.has(joined.room)) return;
    this.#acks.set(
      joined.room,
      setTimeout(() => {
        this.#acks.delete(joined.room);
        if (this.rooms.get(joined.room) === joined) this.#send(MessageType.Ack, { room: joined.room, seq: joined.mirror.seq });
      }, this.options.ackDelayMs ?? 50),
    );
  }

  // ---- sending ---------------------------------------------------------------------------------

  #send(t: string, p: Record<string, unknown>, rid?: RequestId): boolean {
    const ws = this.#ws;
    if (!ws || !this.#ready || ws.readyState !== 1) return false;
    ws.send(encodeEnvelope(this.codec, rid === undefined ? { t, p } : { t, p, rid }));
    return true;
  }

  /** `onOk` runs as the answer is read, before any later frame. */
  #request(t: string, p: Record<string, unknown>, onOk?: (answer: Record<string, unknown>) => void): Promise<Record<string, unknown>> {
    const rid = this.#nextRid++;
    return new Promise((resolve, reject) => {
      if (!this.#send(t, p, rid)) return reject(new RoomsRequestError("not connected"));
      this.#pending.set(rid, onOk ? { resolve, reject, onOk } : { resolve, reject });
    });
  }

  #failPending(reason: string): void {
    for (const pending of this.#pending.values()) pending.reject(new RoomsRequestError(reason));
    this.#pending.clear();
  }

  #emit(event: RoomsClientEvent): void {
    for (const listener of [...this.#listeners]) listener(event);
  }
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
