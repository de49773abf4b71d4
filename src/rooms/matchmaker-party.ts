/**
 * One matchmaker per room type, a party of its own (room `queue` of party `rooms-matchmaker.{type}`): each waiting
 * session holds an in-process connection to it. When `size` players wait with the same `size`, it names a new room
 * and sends each of them `match.found {room, room_type, size, participants}` (ready for the wire), then lets them
 * go; the room is created when the first of them joins it. The queue lives in memory: sessions do too.
 */
import type { Connection, Server, Worker } from "../runtime/index.js";
import { MessageType, type Envelope } from "./wire/index.js";
import { newId } from "./ids.js";
import { closedToClients } from "./room-party.js";
import { formGroup, type WaitingTicket } from "./matchmaking.js";
import type { RoomDirectory } from "./directory.js";
import type { RoomsLimits } from "./limits.js";

export const MATCHMAKER_ROOM = "queue";

export function matchmakerPartyName(roomType: string): string {
  return `rooms-matchmaker.${roomType}`;
}

interface Waiting extends WaitingTicket {
  conn: Connection;
  size: number;
}

export function matchmakerParty(roomType: string, directory: RoomDirectory, limits: Pick<RoomsLimits, "resumeWindowMs">): Worker {
  return class Matchmaker implements Server {
    static onBeforeConnect = closedToClients;
    static onBeforeRequest = closedToClients;

    /** By connection (one per session), in arrival order. */
    readonly #waiting = new Map<string, Waiting>();

    onMessage(message: string | ArrayBuffer | ArrayBufferView, conn: Connection): void {
      if (typeof message !== "string") return;
      const { t, p } = JSON.parse(message) as Envelope<{ player: string; size: number }>;
      if (t !== MessageType.Enqueue) return;
      this.#waiting.delete(conn.id);
      this.#waiting.set(conn.id, { conn, player: p.player, size: p.size, since: Date.now() });
      this.#match(p.size);
    }

    onClose(conn: Connection): void {
      if (this.#waiting.get(conn.id)?.conn === conn) this.#waiting.delete(conn.id);
    }

    #match(size: number): void {
      const group = formGroup(
        [...this.#waiting.values()].filter((waiting) => waiting.size === size),
        size,
      );
      if (!group) return;
      const room = newId(9);
      const participants = group.map((waiting) => waiting.player);
      // Its seats are its players' for as long as a dropped session keeps a seat: then anyone may have them.
      directory.reserve(roomType, room, participants, Date.now() + limits.resumeWindowMs);
      const frame = JSON.stringify({ t: MessageType.MatchFound, p: { room, room_type: roomType, size, participants } });
      for (const waiting of group) {
        this.#waiting.delete(waiting.conn.id);
        waiting.conn.send(frame);
        waiting.conn.close(1000, "Matched");
      }
    }
  };
}
