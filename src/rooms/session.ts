/**
 * One client's session: the rooms it is in (one in-process connection to each room party), its requests and
 * their `rpc.response`, the bad-frame count, and the socket it currently speaks through. A dropped socket leaves
 * the session detached for `resumeWindowMs` (its rooms keep its seat); a handshake with its `session_id` attaches
 * a new socket and the rooms send what the client missed since its last ack.
 */
import type { WebSocket as WsSocket } from "ws";
import { encode as encodeMsgpack } from "@msgpack/msgpack";
import { CloseCode, type LocalConnection, type Logger, type SocketHost } from "../runtime/index.js";
import {
  decodeEnvelope,
  encodeEnvelope,
  EnvelopeError,
  isRecord,
  MAX_ENCODED_DEPTH,
  MessageType,
  RoomsCloseCode,
  type Codec,
  type Envelope,
  type RequestId,
} from "./wire/index.js";
import { DEQUEUED_FRAME, ERROR_FRAME_PREFIX, INTERNAL_FRAME_PREFIX, Link, splitUnreliable, UNRELIABLE_PREFIX } from "./link.js";
import { newId } from "./ids.js";
import { Outbox } from "./outbox.js";
import { HeldMessages } from "./held-messages.js";
import { AwayWindow } from "./away-window.js";
import { roomPartyName } from "./room-party.js";
import { MATCHMAKER_ROOM, matchmakerPartyName } from "./matchmaker-party.js";
import type { RoomDirectory } from "./directory.js";
import type { MatchNotice, MatchNotices } from "./match-notices.js";
import type { RoomsLimits } from "./limits.js";
import type { ServedCode, ServedSession } from "./served-sessions.js";
import type { HandshakeOptions } from "./handshake.js";
import { CONTROL_CHARACTERS } from "../runtime/index.js";

/** A mount's code as its sessions use it: that of the mount served now (served-sessions.ts), read each time. */
export interface RoomsCode extends ServedCode {
  roomTypes: ReadonlySet<string>;
  directory: RoomDirectory;
  /** `match.found` frames kept for players whose socket dropped as their match was made. */
  notices: MatchNotices;
  limits: RoomsLimits;
  handshake: HandshakeOptions;
}

/** What every session on one server shares, across the mounts a reload of the code replaces. */
export interface SessionContext {
  host: SocketHost;
  logger: Logger;
  /** Sessions by id, for resume; a session removes itself when it ends. */
  sessions: Map<string, Session>;
  /** The served mount's code. */
  served: { readonly code: RoomsCode };
}

interface JoinRequest {
  rid: RequestId | undefined;
  options: Record<string, unknown>;
  named: boolean;
  tried: Set<string>;
  /** A rejoin the session makes by itself (after a reload): no `rpc.response`, the snapshot says it all. */
  silent?: boolean;
  /** The room whose seat the directory promised this join, until it is done. */
  promised?: string;
  /**
   * An unnamed join whose room was picked while not listed (being created, or new): a room private by the time it is
   * joined sends it elsewhere. One picked from the listing holds its seat as a reservation does.
   */
  unlisted?: boolean;
}

interface RoomLink {
  room: string;
  roomType: string;
  options: Record<string, unknown>;
  conn: LocalConnection;
  joined: boolean;
  leaving: boolean;
  /** Set by `~refused`; the room closes the link next. */
  refused?: string;
  /** The join request still waiting for its answer. */
  request?: JoinRequest;
}

/** A matchmaker the session waits in. */
interface Queue {
  conn: LocalConnection;
  /** The size of match it waits for (the last enqueue's). */
  size: number;
  /** A dequeue waiting for the matchmaker's answer: whether the session left the queue. */
  answer?: (left: boolean) => void;
}

/** How an unnamed join picked its room, for the room to judge it by (link.ts); nothing for a named join. */
const pickedHow = ({ unlisted }: JoinRequest): { unnamed?: true; listed?: true } =>
  unlisted === undefined ? {} : unlisted ? { unnamed: true } : { listed: true };

/** How many rooms that refuse it (full, or their onJoin) an unnamed join tries before it creates one (then fails). */
const FREE_ROOM_ATTEMPTS = 3;
const MAX_ROOM_NAME_LENGTH = 128;
/** A room's `room.message` or `room.message.bytes` frame (reliable: unreliable ones come prefixed). */
const ROOM_MESSAGE_FRAME = /^\{"t":"room\.message(\.bytes)?"/;

export class Session implements ServedSession {
  readonly id = newId(16);
  readonly #links = new Map<string, RoomLink>();
  /** The matchmakers this session waits in, by room type, and the size of match it waits for (the last enqueue's). */
  readonly #queues = new Map<string, Queue>();
  #ws: WsSocket | undefined;
  #outbox: Outbox | undefined;
  /** Room messages sent while the session had no socket: delivered on resume. */
  readonly #held = new HeldMessages();
  #codec: Codec = "json";
  /** Stops the match notices kept for the player coming to this socket (set while one is attached). */
  #unlisten: (() => void) | undefined;
  #errors = 0;
  /** While the session has no socket: it ends when the served code's `resumeWindowMs` since the socket went is up. */
  readonly #awayWindow = new AwayWindow(
    () => this.#code.limits.resumeWindowMs,
    () => this.end(),
  );
  #ended = false;

  constructor(
    readonly player: string,
    private readonly ctx: SessionContext,
  ) {
    ctx.sessions.set(this.id, this);
  }

  /** The served mount's code (a reload with a new mount swaps it under an open session too). */
  get #code(): RoomsCode {
    return this.ctx.served.code;
  }

  /** Speaks through `ws` from now on (a new session, or a resumed one). Answers `handshake.ok`. */
  attach(ws: WsSocket, codec: Codec, resumed: boolean): void {
    const previous = this.#ws;
    if (previous) {
      this.#release();
      previous.close(4009, "Replaced by a resumed session");
    }
    this.#awayWindow.stop();
    this.#ws = ws;
    this.#codec = codec;
    this.#errors = 0;
    this.#outbox = new Outbox(ws, () => this.#code.limits);
    ws.on("message", this.#onFrame);
    ws.on("close", this.#onClose);
    // The rooms it is in or joining: back after a reload (a refusal comes as an error with closed: true), or a join the
    // client asked for on a socket since lost (its answer went with it: the client leaves a room it does not know).
    const rooms = [...this.#links.values()].map((link) => ({ room: link.room, room_type: link.roomType }));
    ws.send(JSON.stringify({ t: MessageType.HandshakeOk, p: { codec, session_id: this.id, player: this.player, resumed, rooms } }));
    if (resumed) this.#deliverHeld();
    // A match made for the player whose match.found found no socket (a new session of the same player is told too).
    this.#unlisten = this.#code.notices.listen(this.player, (notice) => this.#tellMatch(notice.frame));
    if (resumed) for (const link of this.#links.values()) if (link.joined) link.conn.send(JSON.stringify({ t: Link.Resume, p: {} }));
  }

  /** Sends a matchmaker's `match.found`; false when there is no open socket for it. */
  #tellMatch(frame: string): boolean {
    if (!this.#outbox?.open) return false;
    this.#outbox.reliable(this.#wire(frame));
    return true;
  }

  /** The room messages held while the session had no socket, before the rooms' catch-up. */
  #deliverHeld(): void {
    const { frames, dropped } = this.#held.take();
    for (const { room, frame } of frames) {
      const wired = this.#wireOrClose(frame, room);
      if (wired === undefined) return;
      this.#outbox?.reliable(wired);
    }
    if (dropped > 0)
      this.send(MessageType.Error, { reason: `${dropped} room messages sent while the socket was away were dropped (over maxReliableBufferBytes held)` });
  }

  /** Frames that arrived while the handshake was being checked, in order. */
  replay(frames: ReadonlyArray<string | Uint8Array>): void {
    for (const frame of frames) if (this.#ws) this.#receive(frame);
  }

  readonly #onFrame = (data: Buffer, isBinary: boolean): void => this.#receive(isBinary ? new Uint8Array(data) : data.toString("utf8"));

  readonly #onClose = (): void => {
    this.#release();
    this.#ws = undefined;
    this.#dequeue(); // a match found now could not reach the player
    if (this.#links.size === 0) return this.end();
    this.#awayWindow.start();
  };

  /** Another mount's code is served (a reload): a session away is kept for its `resumeWindowMs`, not the last one's. */
  codeServed(): void {
    this.#awayWindow.retime();
  }

  #release(): void {
    this.#unlisten?.();
    this.#unlisten = undefined;
    this.#ws?.off("message", this.#onFrame);
    this.#ws?.off("close", this.#onClose);
    this.#outbox?.close();
    this.#outbox = undefined;
  }

  /** Leaves every room and queue, and forgets the session (not resumable any more). */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#awayWindow.stop();
    this.ctx.sessions.delete(this.id);
    this.#dequeue();
    for (const link of this.#links.values()) this.#closeLink(link, "Session ended");
    this.#links.clear();
  }

  // ---- from the client ---------------------------------------------------------------------------

  #receive(frame: string | Uint8Array): void {
    if (this.#ended) return; // read after the close that ended it (the 10th bad frame): nothing more is done for it
    let envelope: Envelope<Record<string, unknown>>;
    try {
      envelope = decodeEnvelope(this.#codec, frame);
    } catch (error) {
      return this.badInput(undefined, error instanceof EnvelopeError ? error.message : "malformed frame");
    }
    const { p, rid } = envelope;
    switch (envelope.t) {
      case MessageType.JoinOrCreate:
        return this.#joinOrCreate(p, rid);
      case MessageType.Leave:
        return this.#leave(p, rid);
      case MessageType.List:
        if (p.room_type !== undefined && typeof p.room_type !== "string") return this.badInput(rid, "p.room_type must be a string");
        return this.respond(rid, { rooms: this.#code.directory.list(p.room_type as string | undefined) });
      case MessageType.Message:
      case MessageType.MessageBytes:
      case MessageType.Ack:
      case MessageType.Resync: {
        const link = this.#link(p.room, rid); // still joining too: the room holds it until the join is done
        if (link) link.conn.send(JSON.stringify({ t: envelope.t, p }));
        return;
      }
      case MessageType.Enqueue: {
        const { room_type: roomType, size } = p;
        if (!this.#knownType(roomType, rid)) return;
        if (typeof size !== "number" || !Number.isInteger(size) || size < 1 || size > 1000)
          return this.badInput(rid, "p.size must be an integer from 1 to 1000");
        const seats = this.#code.directory.maxClientsOf(roomType as string);
        if (size > seats) return this.respond(rid, { room_type: roomType }, `a match of ${size} does not fit a room of type "${roomType}" (${seats} seats)`);
        // Told late (its socket dropped as it was made), the client may have asked before it read match.found.
        const late = this.#code.notices.toldLate(this.player, roomType);
        if (late) return this.respond(rid, { room_type: roomType }, matchedAlready(late));
        try {
          this.#enqueue(roomType, size);
        } catch (error) {
          return this.respond(rid, { room_type: roomType }, (error as Error).message); // the type is gone (a reload)
        }
        return this.respond(rid, { room_type: roomType, size });
      }
      case MessageType.Dequeue:
        if (p.room_type !== undefined && typeof p.room_type !== "string") return this.badInput(rid, "p.room_type must be a string");
        return void this.#askDequeue(p.room_type as string | undefined).then((dequeued) => this.respond(rid, { dequeued }));
      default:
        return this.badInput(rid, `unknown message type "${envelope.t}" (after the handshake: ${CLIENT_TYPES.join(", ")})`);
    }
  }

  #joinOrCreate(p: Record<string, unknown>, rid: RequestId | undefined): void {
    const { room_type: roomType, room, options = {} } = p;
    if (!this.#knownType(roomType, rid)) return;
    if (room !== undefined && !validRoomName(room))
      return this.badInput(rid, `p.room must be a non-empty string of at most ${MAX_ROOM_NAME_LENGTH} characters`);
    if (!isRecord(options)) return this.badInput(rid, "p.options must be an object");
    const max = this.#code.limits.maxRoomsPerSession;
    if (this.#links.size >= max) return this.respond(rid, { room_type: roomType }, `in ${max} rooms already (maxRoomsPerSession): leave one first`);
    if (room !== undefined && this.#links.has(room)) return this.respond(rid, { room, room_type: roomType }, `already in room "${room}"`);
    const request: JoinRequest = { rid, options, named: room !== undefined, tried: new Set<string>() };
    this.#openLink(room === undefined ? this.#seat(roomType, request) : this.#promised(roomType, room, request), roomType, request);
  }

  /**
   * The room an unnamed join goes to (not one this session is in, or one that refused it; a new one when `anew`), its
   * seat promised.
   */
  #seat(roomType: string, request: JoinRequest, anew = false): string {
    const { room, listed } = this.#code.directory.seatFor(
      roomType,
      this.player,
      (name) => anew || this.#links.has(name) || request.tried.has(name),
      () => newId(9),
    );
    request.promised = room;
    request.unlisted = !listed;
    return room;
  }

  /** The room a named join goes to, its seat promised (listed while the room is being created, directory.ts). */
  #promised(roomType: string, room: string, request: JoinRequest): string {
    this.#code.directory.promise(roomType, room, this.player);
    request.promised = room;
    return room;
  }

  /**
   * Closes the session's end of a link. The room's `onClose` runs, the link's does not (`#roomClosed`), so a join
   * still on its way is done here: the seat promised to it is no longer held.
   */
  #closeLink(link: RoomLink, reason: string): void {
    link.leaving = true;
    link.conn.close(1000, reason);
    if (link.request) this.#settled(link.request, link.roomType);
  }

  /** The join is done (joined, refused, given up): the seat it was promised is no longer held for it. */
  #settled(request: JoinRequest, roomType: string): void {
    if (request.promised === undefined) return;
    this.#code.directory.release(roomType, request.promised, this.player);
    request.promised = undefined;
  }

  #openLink(name: string, roomType: string, request: JoinRequest): void {
    const link: RoomLink = {
      room: name,
      roomType,
      options: request.options,
      joined: false,
      leaving: false,
      request,
      conn: undefined as unknown as LocalConnection,
    };
    try {
      link.conn = this.ctx.host.connect(roomPartyName(roomType), name, this.player, {
        onMessage: (frame) => this.#fromRoom(link, frame),
        onClose: (code, reason) => this.#roomClosed(link, code, reason),
      });
    } catch (error) {
      // The room type is gone (a reload removed it) or the server is closing.
      this.#settled(request, roomType);
      return this.#joinFailed(request, name, roomType, (error as Error).message);
    }
    this.#links.set(name, link);
    link.conn.send(JSON.stringify({ t: Link.Join, p: { player: this.player, options: request.options, ...pickedHow(request) } }));
  }

  #leave(p: Record<string, unknown>, rid: RequestId | undefined): void {
    const link = this.#link(p.room, rid);
    if (!link) return;
    this.#links.delete(link.room);
    this.#closeLink(link, "Left the room");
    // A client's join under way is answered; one the session made on its own (back after a reload) was asked by nobody.
    if (link.request && !link.request.silent) this.respond(link.request.rid, { room: link.room, room_type: link.roomType }, "left before the join was done");
    this.respond(rid, { room: link.room });
  }

  /** The room `room` names, joined or joining. */
  #link(room: unknown, rid: RequestId | undefined): RoomLink | undefined {
    if (typeof room !== "string") return void this.badInput(rid, "p.room must be a string");
    const link = this.#links.get(room);
    if (!link) return void this.badInput(rid, `not in room "${room}" (join it first)`);
    return link;
  }

  #knownType(roomType: unknown, rid: RequestId | undefined): roomType is string {
    if (typeof roomType === "string" && this.#code.roomTypes.has(roomType)) return true;
    this.badInput(rid, `p.room_type must be one of: ${[...this.#code.roomTypes].join(", ")}`);
    return false;
  }

  /** Waits in the room type's matchmaker (one party per room type); a second enqueue replaces the first. */
  #enqueue(roomType: string, size: number): void {
    let queue = this.#queues.get(roomType);
    if (!queue?.conn.open) {
      const entry: Queue = { conn: undefined as unknown as LocalConnection, size };
      entry.conn = this.ctx.host.connect(matchmakerPartyName(roomType), MATCHMAKER_ROOM, this.id, {
        onMessage: (frame) => {
          if (typeof frame !== "string") return;
          if (frame.startsWith(DEQUEUED_FRAME)) return entry.answer?.((JSON.parse(frame) as Envelope<{ left: boolean }>).p.left);
          // match.found; the socket closing meanwhile, it is kept for the player's next socket (its seat is held).
          if (this.#tellMatch(frame)) return;
          const { p } = JSON.parse(frame) as Envelope<{ room: string; room_type: string }>;
          this.#code.notices.hold(this.player, { queue: roomType, roomType: p.room_type, room: p.room, frame });
        },
        onClose: (code) => {
          entry.answer?.(true); // the queue is gone: the session is in it no more
          if (this.#queues.get(roomType) !== entry) return;
          this.#queues.delete(roomType);
          // The server's code was reloaded: back in the queue by itself, as it joins its rooms again.
          if (code === CloseCode.ServiceRestart && !this.#ended && this.#outbox) this.#enqueueAgain(roomType, entry.size);
        },
      });
      this.#queues.set(roomType, (queue = entry));
    }
    queue.size = size;
    queue.conn.send(JSON.stringify({ t: MessageType.Enqueue, p: { player: this.player, size } }));
  }

  /** `#enqueue` after a reload; a room type the reload removed is told as an error (the queue is gone). */
  #enqueueAgain(roomType: string, size: number): void {
    try {
      this.#enqueue(roomType, size);
    } catch (error) {
      this.send(MessageType.Error, { reason: `no longer queued for "${roomType}": ${(error as Error).message}`, room_type: roomType });
    }
  }

  /**
   * The client's `matchmaking.dequeue`: each matchmaker answers whether the session left its queue; one whose match was
   * made already does not (its `match.found` follows, and it closes the link). How many it left.
   */
  async #askDequeue(roomType: string | undefined): Promise<number> {
    const answers: Array<Promise<boolean>> = [];
    for (const [type, queue] of this.#queues) {
      if (roomType !== undefined && type !== roomType) continue;
      this.#queues.delete(type);
      answers.push(new Promise<boolean>((resolve) => (queue.answer = resolve)));
      queue.conn.send(JSON.stringify({ t: MessageType.Dequeue, p: {} }));
    }
    return (await Promise.all(answers)).filter(Boolean).length;
  }

  /** Leaves every matchmaker at once (the socket is gone: a match found now could not reach the player). */
  #dequeue(): void {
    for (const queue of this.#queues.values()) queue.conn.close(1000, "Dequeued");
    this.#queues.clear();
  }

  // ---- from the rooms ----------------------------------------------------------------------------

  #fromRoom(link: RoomLink, frame: string | Uint8Array): void {
    if (typeof frame !== "string") return;
    if (frame.startsWith(INTERNAL_FRAME_PREFIX)) {
      const { t, p } = JSON.parse(frame) as Envelope<{ reason: string; room: string; room_type: string; seq: number }>;
      if (t === Link.Refused) link.refused = p.reason;
      if (t === Link.Joined) {
        link.joined = true;
        const request = link.request;
        link.request = undefined;
        if (request) this.#settled(request, link.roomType);
        if (!request?.silent) this.respond(request?.rid, { room: p.room, room_type: p.room_type, seq: p.seq });
      }
      return;
    }
    if (!this.#outbox?.open) return this.#holdForResume(link.room, frame); // detached, or the socket closing
    const unreliable = frame.startsWith(UNRELIABLE_PREFIX) ? splitUnreliable(frame) : undefined;
    const wired = this.#wireOrClose(unreliable?.[1] ?? frame, link.room);
    if (wired === undefined) return;
    if (unreliable) return this.#outbox.unreliable(`${link.room}\n${unreliable[0]}`, wired);
    // The one that finds the client too slow closes it, and is held as those after it.
    if (!this.#outbox.reliable(wired)) return this.#holdForResume(link.room, frame);
    if (frame.startsWith(ERROR_FRAME_PREFIX)) this.#countError();
  }

  /** What the client did not get: the room keeps the patches it has not acked; a room message is held here. */
  #holdForResume(room: string, frame: string): void {
    if (ROOM_MESSAGE_FRAME.test(frame)) this.#held.hold(room, frame, this.#code.limits.maxReliableBufferBytes);
  }

  /**
   * `#wire`, or `undefined` once the client is closed (1011) because its codec cannot carry the frame. The room keeps
   * what it sends fit for every codec (src/rooms/wire/depth.ts); this keeps a frame that slipped through from
   * throwing into the room's send loop, which would stop it part-way for the other members.
   */
  #wireOrClose(json: string, room: string): string | Uint8Array | undefined {
    try {
      return this.#wire(json);
    } catch (error) {
      this.ctx.logger.error("rooms.frame_unencodable", { code: "ERR_INTERNAL", room, player: this.player, codec: this.#codec, error });
      this.#ws?.close(CloseCode.InternalError, "A frame could not be encoded for this session's codec");
      return undefined;
    }
  }

  #roomClosed(link: RoomLink, code: number, reason: string): void {
    if (this.#links.get(link.room) === link) this.#links.delete(link.room);
    // The session closed it (a leave, the session's end): its join, if one was on its way, was settled then.
    if (link.leaving) return;
    const request = link.request;
    // The server's code was reloaded under a join (the client's, or the session's own rejoin after an earlier reload):
    // the player may be in the room's logic already (its seat is kept at the stop), so the join goes on in the room's
    // next instance, on the reloaded code, and is answered once done there: the client does not retry.
    if (request && code === CloseCode.ServiceRestart && !this.#ended) return this.#joinOnReloadedCode(link, request);
    if (request) {
      this.#settled(request, link.roomType);
      // Refused (full, or the room's onJoin): an unnamed join tries other rooms, then makes a new one (once).
      if (link.refused && !request.named && request.tried.size <= FREE_ROOM_ATTEMPTS) {
        request.tried.add(link.room);
        const anew = request.tried.size > FREE_ROOM_ATTEMPTS;
        return this.#openLink(this.#seat(link.roomType, request, anew), link.roomType, request);
      }
      return this.#joinFailed(request, link.room, link.roomType, link.refused ?? `room "${link.room}" could not be joined (${code} ${reason})`);
    }
    if (this.#ended) return;
    // The server's code was reloaded (yparty dev): join again by itself, as Colyseus' devMode does; a snapshot follows.
    if (code === CloseCode.ServiceRestart)
      return this.#joinOnReloadedCode(link, { rid: undefined, options: link.options, named: true, tried: new Set(), silent: true });
    this.send(MessageType.Error, { reason: `room "${link.room}" closed the connection (${code} ${reason})`, room: link.room, closed: true });
  }

  /** `request` joins `link`'s room again in its next instance (a reload cut the link), unless the reload removed its type. */
  #joinOnReloadedCode(link: RoomLink, request: JoinRequest): void {
    if (this.#code.roomTypes.has(link.roomType)) return this.#openLink(link.room, link.roomType, request);
    this.#settled(request, link.roomType);
    this.#joinFailed(request, link.room, link.roomType, `room type "${link.roomType}" is no longer served: the server's code was reloaded without it`);
  }

  #joinFailed(request: JoinRequest, room: string, roomType: string, reason: string): void {
    // A join back after a reload: the player is no longer in the room, as after any close of it.
    if (request.silent) this.send(MessageType.Error, { reason, room, closed: true });
    else this.respond(request.rid, { room, room_type: roomType }, reason);
  }

  // ---- to the client -----------------------------------------------------------------------------

  /** A wire envelope the room wrote as JSON, in the session's codec. */
  #wire(json: string): string | Uint8Array {
    if (this.#codec === "json") return json;
    // A room sends one string to all its members: encode it once for every MessagePack session.
    if (json !== lastMsgpack.json) lastMsgpack = { json, bytes: encodeMsgpack(JSON.parse(json), { ignoreUndefined: true, maxDepth: MAX_ENCODED_DEPTH }) };
    return lastMsgpack.bytes;
  }

  send(t: string, p: Record<string, unknown>, rid?: RequestId): void {
    this.#outbox?.reliable(encodeEnvelope(this.#codec, rid === undefined ? { t, p } : { t, p, rid }));
  }

  /** `rpc.response` `{ok: true, …result}`, or `{ok: false, reason}` when `refusal` is given. */
  respond(rid: RequestId | undefined, result: Record<string, unknown>, refusal?: string): void {
    this.send(MessageType.RpcResponse, refusal === undefined ? { ok: true, ...result } : { ok: false, reason: refusal, ...result }, rid);
  }

  /** A bad frame: `rpc.response` `{ok: false}` for a request with `rid`, else `error`; counted. */
  badInput(rid: RequestId | undefined, reason: string): void {
    if (rid === undefined) this.send(MessageType.Error, { reason });
    else this.respond(rid, {}, reason);
    this.#countError();
  }

  #countError(): void {
    if (++this.#errors < this.#code.limits.maxProtocolErrors) return;
    this.#ws?.close(RoomsCloseCode.BadRequest, `Too many bad frames (${this.#code.limits.maxProtocolErrors})`);
    this.end(); // not resumable: the client misbehaved
  }
}

let lastMsgpack: { json: string; bytes: Uint8Array } = { json: "", bytes: new Uint8Array() };

const CLIENT_TYPES = [
  MessageType.JoinOrCreate,
  MessageType.Leave,
  MessageType.List,
  MessageType.Message,
  MessageType.MessageBytes,
  MessageType.Ack,
  MessageType.Resync,
  MessageType.Enqueue,
  MessageType.Dequeue,
];

/** Why an enqueue is refused while the seat of a match told late is held for the player. */
function matchedAlready(notice: MatchNotice): string {
  return `matched already while the connection was away (match.found, room "${notice.room}"): join that room; enqueue again once it is joined or its seat has expired`;
}

function validRoomName(room: unknown): room is string {
  return typeof room === "string" && room !== "" && room.length <= MAX_ROOM_NAME_LENGTH && !CONTROL_CHARACTERS.test(room);
}
