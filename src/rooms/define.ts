/**
 * `defineRoomType`: the logic of one kind of room. Hooks run with `this` bound to the room (`RoomApi`): its
 * authoritative JSON `state`, which the logic changes in place or replaces; every change is sent to the clients as
 * a JSON Patch at the end of the event-loop tick.
 */
import type { Room as PartyRoom } from "../runtime/index.js";

export interface RoomInput {
  /** The game's action type (`p.type`), e.g. `"inc"`, `"player.move"`. */
  type: string;
  /** `p.data`, or the decoded bytes of a `room.message.bytes`. */
  data: unknown;
  /** The sender's player id. */
  sender: string;
  /** True for `room.message.bytes` (then `data` is a Uint8Array). */
  binary: boolean;
}

export interface RoomApi<S = unknown> {
  /** The authoritative state (plain JSON: objects, arrays, strings, finite numbers, booleans, null). */
  state: S;
  readonly room: string;
  readonly roomType: string;
  /** Player ids in the room (connected), in join order; in `onJoin`, the joining player too (last), as in Colyseus. */
  readonly clients: readonly string[];
  /**
   * The players holding a seat: the clients, then those whose seat is kept for them since the room stopped (a
   * restart, a reload) until they are back or their time is up. A game's players are these, not only the connected.
   * In `onJoin`, the joining player too.
   */
  readonly seated: readonly string[];
  /**
   * The players a matchmaker made this room for who have not joined yet (the directory holds their seats: see
   * `RoomDirectory.reserve`); empty for a room nobody reserved, or once they all came or their time is up.
   */
  readonly awaited: readonly string[];
  /** A `room.message` (or `.bytes` for a Uint8Array) to every client, or every client but `except`. */
  broadcast(type: string, data: unknown, options?: { except?: string }): void;
  /** A `room.message` (or `.bytes`) to one player. */
  send(player: string, type: string, data: unknown): void;
  /** What `room.list` shows for this room. */
  setMetadata(metadata: Record<string, unknown>): void;
  /**
   * No new player joins from now on (refused `room "…" is locked`), and the room is neither listed by `room.list` nor
   * picked by an unnamed `room.join_or_create` (Colyseus's `lock()`). Its players stay; those with a seat in it come
   * back (a seat kept since a stop, one a match holds for them, one an unnamed join found listed just before the lock:
   * a seat Colyseus would have reserved). Stored with the state: a restart keeps it locked.
   */
  lock(): void;
  /** Takes joins again, listed and matched (unless private). */
  unlock(): void;
  /** `lock()` was called, and not `unlock()` since. */
  readonly locked: boolean;
  /**
   * Private (default `true`; `false` makes it public again): joined by name only, neither listed nor picked by an
   * unnamed join (Colyseus's `setPrivate()`). Stored with the state.
   */
  setPrivate(value?: boolean): void;
  /** The room's `room.storage`, for anything besides the state (which is stored by itself). */
  readonly partyRoom: PartyRoom;
  /**
   * The room is over: once it has no clients (now, or when the last one leaves), everything in its `room.storage`
   * (its state too) and its alarm are deleted, and a later join creates it anew (`onCreate`). Without it a room's
   * state is kept for good, for a join, an unload or a restart to find.
   */
  dispose(): void;
}

type Hook<S, A extends unknown[]> = ((this: RoomApi<S>, ...args: A) => void | Promise<void>) | undefined;

export interface RoomTypeDefinition<S = unknown> {
  /** Clients per room (default 16). `room.join_or_create` without a room name fills rooms up to it. */
  maxClients?: number;
  /** `room.message` types sent unreliably: coalesced (newest per sender and type) or dropped under backpressure. */
  unreliable?: readonly string[];
  /** The first state, when the room is created (`options` of the first join). Default state: `{}`. A `RoomError` refuses the join. */
  onCreate?: Hook<S, [options: Record<string, unknown>]>;
  /** A `RoomError` thrown here refuses the join (`rpc.response {ok: false, reason}`). */
  onJoin?: Hook<S, [player: string, options: Record<string, unknown>]>;
  onLeave?: Hook<S, [player: string]>;
  /** A client's `room.message`; throw `RoomError` to answer the sender `error {reason}`. */
  onInput?: Hook<S, [input: RoomInput]>;
  /** Called every `tickMs` while the room has clients. */
  onTick?: Hook<S, [elapsedMs: number]>;
  tickMs?: number;
  /** The room's alarm fired (`this.partyRoom.storage.setAlarm`): on time across restarts, with or without clients. */
  onAlarm?: Hook<S, []>;
  /**
   * Default true. False: the state is stored (it survives unloads and restarts) but not sent: no snapshots, no
   * patches; the logic sends its clients what they see (seed 002's matches send `match.state` this way).
   */
  syncState?: boolean;
}

export interface RoomType<S = unknown> extends RoomTypeDefinition<S> {
  readonly kind: "yparty.roomType";
}

export function defineRoomType<S = Record<string, unknown>>(definition: RoomTypeDefinition<S>): RoomType<S> {
  return { ...definition, kind: "yparty.roomType" };
}

/** Thrown by room logic: the client gets `error {reason: message, room}` (bad input, not a server fault). */
export class RoomError extends Error {
  override readonly name: string = "RoomError";
}

export const DEFAULT_MAX_CLIENTS = 16;
