/**
 * `yparty dev`, two saves in a row: the second rebuild comes while the sessions join back after the first (each does
 * by itself, its seat kept). That join back, cut by the second reload (1012), was taken for a failed join: the client
 * got `error {closed: true}` "could not be joined (1012 Server code reloaded)" and was out of the room it was in, the
 * room listing it no more. Now it joins back in the next instance, as after the first rebuild; a lowered limit of the
 * last build holds for the sessions at once (the messages held for one away: `maxReliableBufferBytes`).
 *
 * The rebuilds are made by the CLI's own mount sources, as in test/cli/h116-dev-rebuild-listings.
 */
import { afterEach, describe, expect, it } from "vitest";
import { defineRooms, defineRoomType } from "../../src/rooms/index.js";
import { cleanupAll, startServer } from "../helpers/server.js";
import { rawClient } from "../rooms/helpers.js";
import { devMountSources } from "./dev-mounts.js";
import { deferredCleanups } from "./helpers.js";

const defer = deferredCleanups(afterEach);
afterEach(cleanupAll);

const lobby = defineRoomType({
  maxClients: 4,
  onInput({ type, data }) {
    if (type === "say") this.broadcast("said", data);
  },
});

describe("yparty dev: two rebuilds in a row", () => {
  it("keep the sessions in their rooms, listed, under the last build's limits", async () => {
    const { sources, mount } = await devMountSources(["rooms"], defer);
    const server = await startServer(mount({ rooms: defineRooms({ types: { lobby } }) }), { storage: "memory", sockets: sources.sockets });
    const [ada, bob] = [rawClient(server), rawClient(server)];
    const { session_id } = await ada.handshake({ token: "dev:ada" });
    await bob.handshake({ token: "dev:bob" });
    for (const client of [ada, bob]) await client.request("room.join_or_create", { room_type: "lobby", room: "l" });
    for (const client of [ada, bob]) await client.expect("state.snapshot");

    await server.server.reload(mount({ rooms: defineRooms({ types: { lobby } }) }));
    await server.server.reload(mount({ rooms: defineRooms({ types: { lobby }, limits: { maxReliableBufferBytes: 4_000 } }) }));
    for (const client of [ada, bob]) await client.expect("state.snapshot"); // back in the room
    expect((await bob.request("room.list", { room_type: "lobby" })).rooms).toEqual([expect.objectContaining({ room: "l", clients: 2 })]);
    for (const client of [ada, bob]) expect(client.received.filter((envelope) => envelope.t === "error")).toEqual([]);

    await ada.client.close();
    for (const n of [1, 2, 3]) {
      bob.send("room.message", { room: "l", type: "say", data: { n, text: "€".repeat(500) } }); // ~1,500 bytes each
      await bob.expect("room.message", (p) => p.data?.n === n);
    }
    const back = rawClient(server);
    expect(await back.handshake({ token: "dev:ada", session_id })).toMatchObject({ resumed: true, rooms: [{ room: "l" }] });
    expect([(await back.expect("room.message")).p.data.n, (await back.expect("room.message")).p.data.n]).toEqual([1, 2]);
    expect((await back.expect("error")).p.reason).toMatch(/^1 room messages sent while the socket was away were dropped/);
  });
});
