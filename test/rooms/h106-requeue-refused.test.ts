/**
 * Two sessions of one player (two tabs, two devices): the one that waited in a queue loses its socket as its match's
 * seats are stored, and the late `match.found` goes to the other, which has a socket (h89: a session of the player
 * with a socket is told). Back, the rooms client of the first enters the queue again by itself, and the server refuses
 * it (h102: the match holds the player's seat). The client swallowed that refusal and still counted itself in the
 * queue: its app waited for a match that would never come, told nothing. Now a refused enqueue-again takes the room
 * type out of its queues and comes as an `error` event naming the room type and the server's reason (the room).
 */
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { connect, type RoomsClient, type RoomsClientEvent } from "../../rooms-client/index.js";
import { createRooms, defineRoomType } from "../../src/rooms/index.js";
import { matchmakerPartyName } from "../../src/rooms/matchmaker-party.js";
import { roomPartyName } from "../../src/rooms/room-party.js";
import { holdSeatStore } from "../helpers/held-seat-store.js";
import { deferred, startServer, waitFor } from "../helpers/server.js";
import { trackedClients } from "../helpers/tracked-websocket.js";
import { rawClient, type RawClient } from "./helpers.js";

const { WebSocket: TrackedWebSocket, sockets, clients } = trackedClients<RoomsClient>();

const types = { pair: defineRoomType({ maxClients: 2 }) };

describe("rooms-client: its enqueue again refused as it comes back", () => {
  it("is told as an error naming the match, and the client no longer counts itself queued", async () => {
    const rooms = createRooms({ types });
    const { parties, storing, release, queue } = holdSeatStore(rooms.parties, roomPartyName("pair"), matchmakerPartyName("pair"));
    const server = await startServer(parties, { storage: "memory", sockets: rooms.sockets });
    const queued = async (name: string): Promise<RawClient> => {
      const client = rawClient(server);
      await client.handshake({ token: `dev:${name}` });
      expect((await client.request("matchmaking.enqueue", { room_type: "pair", size: 2 })).ok).toBe(true);
      return client;
    };

    const back = deferred();
    let handshakes = 0;
    const tab = await connect(server.wsUrl("/rooms"), {
      token: async () => (++handshakes === 1 ? "dev:ada" : back.promise.then(() => "dev:ada")),
      codecs: ["json"],
      WebSocket: TrackedWebSocket,
      backoff: { initialMs: 10, maxMs: 20 },
    });
    clients.push(tab);
    const events: RoomsClientEvent[] = [];
    const told = new Promise<void>((resolve) =>
      tab.on((event) => {
        events.push(event);
        if (event.type === "error") resolve();
      }),
    );
    await tab.enqueue("pair", 2);
    const other = rawClient(server); // ada's other tab: in no queue
    await other.handshake({ token: "dev:ada" });
    const bob = await queued("bob");
    await waitFor(storing, "the match's room to store the held seats");
    const closed = once(queue, "closed");
    sockets[0]!.terminate();
    await waitFor(closed, "the matchmaker to see the tab's session let the queue go");
    release();
    const match = (await bob.expect("match.found")).p;
    expect((await other.expect("match.found")).p).toEqual(match); // the session with a socket is told

    back.resolve();
    // Before: the refusal was swallowed, nothing came, and the client still counted itself queued.
    await waitFor(told, "the tab's client to tell its enqueue again was refused");
    const error = events.find((event) => event.type === "error") as Extract<RoomsClientEvent, { type: "error" }>;
    expect(error.reason).toContain('no longer queued for "pair"');
    expect(error.reason).toContain(`room "${match.room}"`);
    expect(events.filter((event) => event.type === "match.found")).toEqual([]);
    // Not queued: a lost socket now does not enter it again (carl and dave are matched with each other).
    sockets[1]!.terminate();
    await waitFor(
      new Promise<void>((resolve) => tab.on((event) => event.type === "status" && event.status === "open" && resolve())),
      "the tab's client back again",
    );
    const carl = await queued("carl");
    const dave = await queued("dave");
    expect((await carl.expect("match.found")).p.participants).toEqual(["carl", "dave"]);
    await dave.expect("match.found");
  });
});
