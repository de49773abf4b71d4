/**
 * A room could not stop being listed or matched: one whose `onJoin` refuses joins (a game under way) was listed with
 * free seats, and every unnamed `room.join_or_create` tried it first. The room API now has Colyseus's `lock()` /
 * `unlock()` and `setPrivate()`: a locked room refuses new players and is neither listed nor picked by an unnamed join
 * (those with a seat in it still come back), a private one is joined by name only; both are stored with the state.
 * Driven with the typed client (`yparty/rooms-client`).
 */
import WebSocket from "ws";
import { afterEach, describe, expect, it } from "vitest";
import { connect, type JoinedRoom, type RoomsClient } from "../../rooms-client/index.js";
import { createRooms, defineRoomType } from "../../src/rooms/index.js";
import { cleanupAll, startServer, type TestServer, waitFor } from "../helpers/server.js";
import { startRooms } from "./helpers.js";

interface Table {
  locked: boolean;
  private: boolean;
  players: string[];
}

/** Inputs `lock`, `unlock`, `private`, `public`; the state says which holds (the client waits for it). */
const table = defineRoomType<Table>({
  maxClients: 4,
  onCreate(options) {
    this.state = { locked: false, private: options.private === true, players: [] };
    if (options.private === true) this.setPrivate();
  },
  onJoin(player) {
    this.state.players.push(player);
  },
  onLeave(player) {
    this.state.players = this.state.players.filter((name) => name !== player);
  },
  onInput({ type }) {
    if (type === "lock") this.lock();
    if (type === "unlock") this.unlock();
    if (type === "private" || type === "public") this.setPrivate(type === "private");
    this.state.locked = this.locked;
    this.state.private = type === "private" ? true : type === "public" ? false : this.state.private;
  },
});

const clients: RoomsClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await cleanupAll();
});

async function player(server: TestServer, name: string): Promise<RoomsClient> {
  const client = await connect(server.wsUrl("/rooms"), { token: `dev:${name}`, codecs: ["json"], WebSocket, backoff: { initialMs: 20, maxMs: 100 } });
  clients.push(client);
  return client;
}

/** Sends `input` to `room` and waits for the state that shows it applied. */
async function apply(room: JoinedRoom<Table>, input: string, applied: (state: Table) => boolean): Promise<void> {
  const done = new Promise<void>((resolve) => {
    const off = room.client.on((event) => {
      if (event.type === "state" && event.room === room.room && applied(event.state as Table)) {
        off();
        resolve();
      }
    });
  });
  room.send(input, null);
  await waitFor(done, `"${input}" to be applied`);
}

describe("lock() and setPrivate()", () => {
  it("a locked room is neither listed nor matched, refuses new players, and takes joins again once unlocked", async () => {
    const server = await startRooms({ table });
    const [ada, bob, carl] = [await player(server, "ada"), await player(server, "bob"), await player(server, "carl")];
    const first = await ada.joinOrCreate<Table>("table");
    expect(await bob.list("table")).toMatchObject([{ room: first.room, clients: 1 }]);

    await apply(first, "lock", (state) => state.locked);
    // Before: listed with 3 free seats, and bob's unnamed join went there.
    expect(await bob.list("table")).toEqual([]);
    const second = await bob.joinOrCreate<Table>("table");
    expect(second.room).not.toBe(first.room);
    await expect(carl.joinOrCreate("table", { room: first.room })).rejects.toThrow(/locked/);
    expect((await carl.list()).map((listing) => listing.room)).toEqual([second.room]);

    await apply(first, "unlock", (state) => !state.locked);
    expect((await carl.list("table")).map((listing) => listing.room).sort()).toEqual([first.room, second.room].sort());
    expect((await carl.joinOrCreate<Table>("table", { room: first.room })).room).toBe(first.room);
  });

  it("a locked room's player back after a reload takes its seat; the lock is stored with the state", async () => {
    const rooms = createRooms({ types: { table } });
    const server = await startServer(rooms.parties, { storage: "memory", sockets: rooms.sockets });
    const [ada, bob] = [await player(server, "ada"), await player(server, "bob")];
    const room = await ada.joinOrCreate<Table>("table", { room: "t" });
    await apply(room, "lock", (state) => state.locked);
    const back = new Promise<void>((resolve) => ada.on((event) => event.type === "state" && event.room === "t" && (event.state as Table).locked && resolve()));
    await waitFor(server.server.reload(rooms.parties), "the reload");
    await waitFor(back, "ada back in the locked room (its snapshot)");
    expect(await bob.list("table")).toEqual([]);
    await expect(bob.joinOrCreate("table", { room: "t" })).rejects.toThrow(/locked/);
    expect([...ada.rooms.keys()]).toEqual(["t"]);
  });

  it("a private room is joined by name only, and listed again once public", async () => {
    const server = await startRooms({ table });
    const [ada, bob] = [await player(server, "ada"), await player(server, "bob")];
    const secret = await ada.joinOrCreate<Table>("table", { room: "secret", options: { private: true } });
    expect(await bob.list("table")).toEqual([]);
    const other = await bob.joinOrCreate<Table>("table");
    expect(other.room).not.toBe("secret");
    expect((await bob.joinOrCreate<Table>("table", { room: "secret" })).room).toBe("secret");
    await apply(secret, "public", (state) => !state.private);
    expect((await ada.list("table")).find((listing) => listing.room === "secret")).toMatchObject({ clients: 2, max_clients: 4 });
  });
});
