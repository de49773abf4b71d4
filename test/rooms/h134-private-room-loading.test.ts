/**
 * A private room stored and not loaded (after a restart) was, while it loaded for a named join, taken for a room being
 * created for that join (its seat promised): `room.list` showed its name, and a stranger's unnamed
 * `room.join_or_create` was sent there and joined it. A room promised a seat is now shown and offered only when known
 * to hold nothing stored (a name an unnamed join made, an instance that started empty); and a private room refuses an
 * unnamed join that reaches it all the same (one sent there as its `onCreate` ran), but the one whose options made it
 * private.
 */
import { afterEach, describe, expect, it } from "vitest";
import { defineRoomType } from "../../src/rooms/index.js";
import { cleanupAll, deferred, type TestServer, waitFor } from "../helpers/server.js";
import { rawClient, type RawClient, startRooms } from "./helpers.js";

afterEach(cleanupAll);

const table = defineRoomType({
  maxClients: 4,
  onCreate(options) {
    if (options.private === true) this.setPrivate();
  },
});

async function player(server: TestServer, name: string): Promise<RawClient> {
  const client = rawClient(server);
  await client.handshake({ token: `dev:${name}` });
  return client;
}

describe("a private room", () => {
  it("loading after a restart for a named join: an unnamed join meanwhile goes elsewhere", async () => {
    const server = await startRooms({ table }, { server: { storage: "leveldb" } });
    const ada = await player(server, "ada");
    expect(await ada.request("room.join_or_create", { room_type: "table", room: "p", options: { private: true } })).toMatchObject({ ok: true });
    await server.stop();

    const again = await startRooms({ table }, { server: { storage: "leveldb", dir: server.dir! } });
    const [bob, eve] = [await player(again, "bob"), await player(again, "eve")];
    const bobJoin = bob.request("room.join_or_create", { room_type: "table", room: "p" });
    const eveJoin = eve.request("room.join_or_create", { room_type: "table" });
    expect(await bobJoin).toMatchObject({ ok: true, room: "p" });
    // Before: eve was in "p".
    const joined = await eveJoin;
    expect(joined).toMatchObject({ ok: true });
    expect(joined.room).not.toBe("p");
  });

  it("loading after a restart for a named join: room.list meanwhile does not show it", async () => {
    const server = await startRooms({ table }, { server: { storage: "leveldb" } });
    const ada = await player(server, "ada");
    expect(await ada.request("room.join_or_create", { room_type: "table", room: "p", options: { private: true } })).toMatchObject({ ok: true });
    await server.stop();

    const again = await startRooms({ table }, { server: { storage: "leveldb", dir: server.dir! } });
    const [bob, eve] = [await player(again, "bob"), await player(again, "eve")];
    const bobJoin = bob.request("room.join_or_create", { room_type: "table", room: "p" });
    // Before: [{room: "p", clients: 1, metadata: {}}] (a room being created, as far as the directory knew): the private
    // room's name, which only those it was given to should know.
    expect((await eve.request("room.list", {})).rooms).toEqual([]);
    expect(await bobJoin).toMatchObject({ ok: true, room: "p" });
    expect((await eve.request("room.list", {})).rooms).toEqual([]);
  });

  it("made private by an onCreate that awaited first: an unnamed join sent there meanwhile goes elsewhere", async () => {
    const [creating, loaded] = [deferred(), deferred()];
    const slowTable = defineRoomType({
      maxClients: 4,
      async onCreate(options) {
        creating.resolve();
        await loaded.promise;
        if (options.private === true) this.setPrivate();
      },
    });
    const server = await startRooms({ table: slowTable });
    const [ada, eve] = [await player(server, "ada"), await player(server, "eve")];
    const adaJoin = ada.request("room.join_or_create", { room_type: "table", room: "p", options: { private: true } });
    await waitFor(creating.promise, "p's onCreate");
    const eveJoin = eve.request("room.join_or_create", { room_type: "table" }); // p, being created, has free seats
    await eve.request("room.list", {}); // (eve's join is on its way to p)
    loaded.resolve();
    expect(await adaJoin).toMatchObject({ ok: true, room: "p" });
    // Before: eve was in "p".
    const joined = await eveJoin;
    expect(joined).toMatchObject({ ok: true });
    expect(joined.room).not.toBe("p");
  });

  it("made private by the unnamed join that created it: that join is in", async () => {
    const server = await startRooms({ table });
    const [ada, bob] = [await player(server, "ada"), await player(server, "bob")];
    const joined = await ada.request("room.join_or_create", { room_type: "table", options: { private: true } });
    expect(joined).toMatchObject({ ok: true });
    expect((await bob.request("room.list", { room_type: "table" })).rooms).toEqual([]);
    expect((await bob.request("room.join_or_create", { room_type: "table", room: joined.room })).ok).toBe(true);
  });
});
