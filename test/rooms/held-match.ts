/**
 * The set-up of the "match.found while the socket dropped" tests (h89, h102): rooms of two whose matches store their
 * held seats only once the test calls `release` (test/helpers/held-seat-store.ts).
 */
import type { EventEmitter } from "node:events";
import { createRooms, defineRoomType } from "../../src/rooms/index.js";
import { matchmakerPartyName } from "../../src/rooms/matchmaker-party.js";
import { roomPartyName } from "../../src/rooms/room-party.js";
import { holdSeatStore } from "../helpers/held-seat-store.js";
import { startServer, type TestServer } from "../helpers/server.js";

const types = { pair: defineRoomType({ maxClients: 2 }) };

export async function storeHeldServer(): Promise<{ server: TestServer; storing: Promise<void>; release(): void; queue: EventEmitter }> {
  const rooms = createRooms({ types });
  const { parties, storing, release, queue } = holdSeatStore(rooms.parties, roomPartyName("pair"), matchmakerPartyName("pair"));
  const server = await startServer(parties, { storage: "memory", sockets: rooms.sockets });
  return { server, storing, release, queue };
}
