/**
 * An `onCreate` that called `lock()` or `setPrivate()` and then threw (a RoomError refusing the options) left the room
 * not created but locked or private: the next join of it was refused "is locked" without its `onCreate` being tried
 * again, or made a room hidden from `room.list` that nobody asked to be private. A failed `onCreate` leaves nothing of
 * it: the next join creates the room anew, from nothing. Driven with the typed client (`yparty/rooms-client`).
 */
import WebSocket from "ws";
import { afterEach, describe, expect, it } from "vitest";
import { connect, type RoomsClient } from "../../rooms-client/index.js";
import { defineRoomType, RoomError } from "../../src/rooms/index.js";
import { cleanupAll, deferred, type TestServer, waitFor } from "../helpers/server.js";
import { startRooms } from "./helpers.js";

/** `onCreate` locks or hides the room as its options ask, then refuses options without a `mode`. */
const table = defineRoomType({
  maxClients: 4,
  onCreate(options) {
    if (options.lock === true) this.lock();
    if (options.private === true) this.setPrivate();
    this.setMetadata({ mode: options.mode ?? "none" });
    if (typeof options.mode !== "string") throw new RoomError("pick a mode");
  },
});

const clients: RoomsClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await cleanupAll();
});

async function player(server: TestServer, name: string): Promise<RoomsClient> {
  const client = await connect(server.wsUrl("/rooms"), { token: `dev:${name}`, codecs: ["json"], WebSocket });
  clients.push(client);
  return client;
}

describe("an onCreate that threw after lock() or setPrivate()", () => {
  it("lock(): the next join runs onCreate again and gets in", async () => {
    const server = await startRooms({ table });
    const [ada, bob] = [await player(server, "ada"), await player(server, "bob")];
    await expect(ada.joinOrCreate("table", { room: "t", options: { lock: true } })).rejects.toThrow(/pick a mode/);
    // Before: refused 'room "t" is locked', its onCreate not tried again.
    expect((await bob.joinOrCreate("table", { room: "t", options: { mode: "duel" } })).room).toBe("t");
    expect(await ada.list("table")).toEqual([{ room: "t", room_type: "table", clients: 1, max_clients: 4, metadata: { mode: "duel" } }]);
  });

  it("the next join's onCreate running: the room is listed as being created, with it", async () => {
    const [creating, created] = [deferred(), deferred()];
    const slow = defineRoomType({
      maxClients: 4,
      async onCreate(options) {
        if (options.lock === true) this.lock();
        if (typeof options.mode !== "string") throw new RoomError("pick a mode");
        creating.resolve();
        await created.promise;
      },
    });
    const server = await startRooms({ table: slow });
    const [ada, bob] = [await player(server, "ada"), await player(server, "bob")];
    await expect(ada.joinOrCreate("table", { room: "t", options: { lock: true } })).rejects.toThrow(/pick a mode/);
    const bobJoin = bob.joinOrCreate("table", { room: "t", options: { mode: "duel" } });
    await waitFor(creating.promise, "bob's onCreate");
    expect(await ada.list("table")).toEqual([{ room: "t", room_type: "table", clients: 1, max_clients: 4, metadata: {} }]);
    created.resolve();
    expect((await bobJoin).room).toBe("t");
  });

  it("setPrivate(): the room the next join creates is public, listed and matched", async () => {
    const server = await startRooms({ table });
    const [ada, bob, carl] = [await player(server, "ada"), await player(server, "bob"), await player(server, "carl")];
    await expect(ada.joinOrCreate("table", { room: "t", options: { private: true } })).rejects.toThrow(/pick a mode/);
    expect((await bob.joinOrCreate("table", { room: "t", options: { mode: "duel" } })).room).toBe("t");
    // Before: [] (private), and carl's unnamed join made another room.
    expect(await ada.list("table")).toMatchObject([{ room: "t", clients: 1 }]);
    expect((await carl.joinOrCreate("table", { options: { mode: "duel" } })).room).toBe("t");
  });
});
