/**
 * One matchmaker per room type, a party of its own (room `queue` of party `rooms-matchmaker.{type}`): each waiting
 * session holds an in-process connection to it. When `size` players wait with the same `size`, it names a new room
 * and has that room hold a seat for each of them (stored: match-seats.ts), then sends each of them `match.found {room,
 * room_type, size, participants}` (ready for the wire) and lets them go; the room is created when the first of them
 * joins it. A player whose session let the queue go while the seats were being stored is told later
 * (match-notices.ts). Until a player is told, it is not matched again: a queue it entered meanwhile (a client back from
 * a drop enters it again) waits unmatched, and is let go when the player is told (the match is its); also in the room's
 * next instance when a reload comes as the seats are stored, and in the next mount's (matches-being-made.ts). The
 * queue lives in memory: sessions do too.
 */
import type { Connection, Room, Server, Worker } from "../runtime/index.js";
import { MessageType, type Envelope } from "./wire/index.js";
import { newId } from "./ids.js";
import { closedToClients, roomPartyName, type RoomPartyShared } from "./room-party.js";
import { formGroup, type WaitingTicket } from "./matchmaking.js";
import { holdMatchSeats, matchRoomsOf } from "./match-seats.js";
import type { MatchNotices } from "./match-notices.js";
import type { MatchesBeingMadeByQueue } from "./matches-being-made.js";
import { Link } from "./link.js";

export const MATCHMAKER_ROOM = "queue";

const OPEN = 1;

export function matchmakerPartyName(roomType: string): string {
  return `rooms-matchmaker.${roomType}`;
}

interface Waiting extends WaitingTicket {
  conn: Connection;
  size: number;
  /** Its place in the order of the queue's entries, across instances (`MatchesBeingMade.nextEntry`). */
  entry: number;
}

export interface MatchmakerShared extends RoomPartyShared {
  /** `match.found` frames that could not be delivered, kept for their players. */
  notices: MatchNotices;
  /** The players being matched, per room type: of every instance of its matchmaker, and of the mounts before this one. */
  matchesBeingMade: MatchesBeingMadeByQueue;
}

export function matchmakerParty(roomType: string, shared: MatchmakerShared): Worker {
  // Outlives the room's instances (and this mount): a reload's next instance must not match a player the one it
  // replaced is matching.
  const beingMade = shared.matchesBeingMade.of(roomType);
  return class Matchmaker implements Server {
    static onBeforeConnect = closedToClients;
    static onBeforeRequest = closedToClients;
    /** A message its logic failed on leaves the protocol in no known state: the runtime closes that connection (1011). */
    readonly options = { closeOnMessageError: true };

    /** By connection (one per session), in arrival order. */
    readonly #waiting = new Map<string, Waiting>();
    /** What it entered while its match was being made, by this instance or another, is the match's. */
    readonly #unwatch = beingMade.watch((player, madeAt) => this.#letGoOf(player, madeAt));

    constructor(readonly room: Room) {}

    onStop(): void {
      this.#unwatch();
    }

    onMessage(message: string | ArrayBuffer | ArrayBufferView, conn: Connection): void {
      if (typeof message !== "string") return;
      const { t, p } = JSON.parse(message) as Envelope<{ player: string; size: number }>;
      if (t === MessageType.Dequeue) return this.#dequeue(conn);
      if (t !== MessageType.Enqueue) return;
      this.#waiting.delete(conn.id);
      this.#waiting.set(conn.id, { conn, player: p.player, size: p.size, since: Date.now(), entry: beingMade.nextEntry() });
      this.#match(p.size);
    }

    /** Answered here, where it is known whether the session still waits: one matched already stays (match.found follows). */
    #dequeue(conn: Connection): void {
      const left = this.#waiting.get(conn.id)?.conn === conn;
      conn.send(JSON.stringify({ t: Link.Dequeued, p: { left } }));
      if (!left) return;
      this.#waiting.delete(conn.id);
      conn.close(1000, "Dequeued");
    }

    onClose(conn: Connection): void {
      if (this.#waiting.get(conn.id)?.conn === conn) this.#waiting.delete(conn.id);
    }

    /** The queue entries `player` made while its match was being made: the match is its (their sessions see the close). */
    #letGoOf(player: string, madeAt: number): void {
      for (const waiting of [...this.#waiting.values()]) {
        if (waiting.player !== player || waiting.entry < madeAt) continue;
        this.#waiting.delete(waiting.conn.id);
        waiting.conn.close(1000, "Matched");
      }
    }

    #match(size: number): void {
      const group = formGroup(
        [...this.#waiting.values()].filter((waiting) => waiting.size === size && !beingMade.has(waiting.player)),
        size,
      );
      if (!group) return;
      const room = newId(9);
      const participants = group.map((waiting) => waiting.player);
      for (const waiting of group) {
        this.#waiting.delete(waiting.conn.id);
        beingMade.made(waiting.player);
      }
      // Its seats are its players' until they join, at most `seatReservationMs`: then anyone may have them. They are
      // stored before the players hear of the match, so a restart in between does not free them.
      const reservation = { players: participants, until: Date.now() + shared.limits.seatReservationMs };
      const rooms = matchRoomsOf(this.room, roomPartyName(roomType), roomType, shared.directory);
      void holdMatchSeats(rooms, room, reservation, shared.logger, shared.limits.seatStoreTimeoutMs).then((tell) => {
        if (!tell) return group.forEach((waiting) => beingMade.dropped(waiting.player)); // the server stopped first
        const frame = JSON.stringify({ t: MessageType.MatchFound, p: { room, room_type: roomType, size, participants } });
        for (const waiting of group) {
          // Its session let the queue go meanwhile (its socket dropped): the seat is held all the same, so the player is
          // told when a session of it has a socket again.
          if (waiting.conn.readyState !== OPEN) shared.notices.hold(waiting.player, { queue: roomType, roomType, room, frame });
          waiting.conn.send(frame);
          waiting.conn.close(1000, "Matched");
          beingMade.told(waiting.player);
        }
      });
    }
  };
}
