/**
 * The set-up of the "match.found while the socket dropped" tests (h89, h102, h106): rooms of two whose matches store
 * their held seats only once the test calls `release` (test/helpers/held-seat-store.ts), players queued for them, and
 * ada's rooms client whose reconnects wait until the test lets them through.
 */
import { expect } from "vitest";
import { connect, type RoomsClient } from "../../rooms-client/index.js";
import { createRooms, defineRoomType, type RoomsLimits, type RoomType } from "../../src/rooms/index.js";
import { matchmakerPartyName } from "../../src/rooms/matchmaker-party.js";
import { roomPartyName } from "../../src/rooms/room-party.js";
import { heldBackToken } from "../helpers/held-back-token.js";
import { type HeldSeatStore, holdSeatStore } from "../helpers/held-seat-store.js";
import { startServer, type TestServer } from "../helpers/server.js";
import type { TrackedSockets } from "../helpers/tracked-websocket.js";
import { rawClient, type RawClient } from "./helpers.js";

const types = { pair: defineRoomType({ maxClients: 2 }) };

/**
 * `limits`: the rooms' (e.g. `resumeWindowMs`, how long a dropped session keeps its seats); their defaults when not
 * given. `pair`: the room type matched (default: two seats, no logic).
 */
export async function storeHeldServer(limits: Partial<RoomsLimits> = {}, pair: RoomType<any> = types.pair): Promise<HeldSeatStore & { server: TestServer }> {
  const rooms = createRooms({ types: { pair }, limits });
  const held = holdSeatStore(rooms.parties, roomPartyName("pair"), matchmakerPartyName("pair"));
  const server = await startServer(held.parties, { storage: "memory", sockets: rooms.sockets });
  return { ...held, server };
}

/** `name`'s raw session, in the queue for a room of two. */
export async function queued(server: TestServer, name: string): Promise<RawClient> {
  const client = rawClient(server);
  await client.handshake({ token: `dev:${name}` });
  expect((await client.request("matchmaking.enqueue", { room_type: "pair", size: 2 })).ok).toBe(true);
  return client;
}

/**
 * ada's rooms client on `tracked`'s WebSocket (its sockets the test can cut; the client closed after the test): it
 * connects at once, and every reconnect waits for `back()`.
 */
export async function adaComingBackLater(
  server: TestServer,
  tracked: Pick<TrackedSockets, "WebSocket"> & { clients: RoomsClient[] },
): Promise<{ ada: RoomsClient; back(): void }> {
  const { token, back } = heldBackToken("ada");
  const ada = await connect(server.wsUrl("/rooms"), { token, codecs: ["json"], WebSocket: tracked.WebSocket, backoff: { initialMs: 10, maxMs: 20 } });
  tracked.clients.push(ada);
  return { ada, back };
}
