/**
 * `createRooms({ sessions })` is for the mount that replaces another at a reload (the same path, `serve()` called as
 * its parties replace the last's). Misused, it went silently wrong: two mounts given one `RoomsSessions` (at two paths,
 * or on two servers) spoke the first mount's code on both, a join of the second's room types refused "must be one of"
 * the first's; a program that reloaded the new mount's parties and never called `serve()` kept the old code's room
 * types and limits for good, nothing said. Now the first two fail at once, saying what to do, and the last is logged
 * as an error as the new mount's rooms start.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createRooms, defineRoomType, MatchmakingState, RoomsSessions } from "../../src/rooms/index.js";
import { cleanupAll, startServer, waitFor } from "../helpers/server.js";
import { rawClient } from "./helpers.js";

afterEach(cleanupAll);

const lobby = defineRoomType({});
const arena = defineRoomType({ maxClients: 2 });

describe("createRooms({ sessions }) misused", () => {
  it("two mounts at two paths given the same sessions: the second is refused as it is made", () => {
    const sessions = new RoomsSessions();
    createRooms({ types: { lobby }, sessions });
    expect(() => createRooms({ types: { arena }, path: "/arena", sessions })).toThrow(/at \/rooms.*"\/arena" needs sessions of its own/);
  });

  it("a mount on a second server given the first's sessions and never served: its sockets fail, logged", async () => {
    const sessions = new RoomsSessions();
    const first = createRooms({ types: { lobby }, sessions });
    const second = createRooms({ types: { arena }, sessions });
    const one = await startServer(first.parties, { storage: "memory", sockets: first.sockets });
    const two = await startServer(second.parties, { storage: "memory", sockets: second.sockets });
    const ada = rawClient(one);
    await ada.handshake({ token: "dev:ada" });
    expect((await ada.request("room.join_or_create", { room_type: "lobby", room: "l" })).ok).toBe(true);

    const bob = rawClient(two);
    await bob.client.opened;
    bob.send("handshake", { v: 1, codecs: ["json"], project_id: "test", token: "dev:bob" });
    expect((await waitFor(bob.client.closed, "the second mount's socket to be closed")).code).toBe(1011);
    expect(JSON.stringify((await two.logged("socket.handler_failed")).error)).toMatch(/never served.*serve\(\)/);
  });

  it("a reload to a new mount whose serve() is never called: logged as its rooms start", async () => {
    const [matchmaking, sessions] = [new MatchmakingState(), new RoomsSessions()];
    const first = createRooms({ types: { lobby }, matchmaking, sessions });
    const server = await startServer(first.parties, { storage: "memory", sockets: first.sockets });
    const ada = rawClient(server);
    await ada.handshake({ token: "dev:ada" });
    expect((await ada.request("room.join_or_create", { room_type: "lobby", room: "l" })).ok).toBe(true);
    await ada.expect("state.snapshot");

    const next = createRooms({ types: { lobby, arena }, matchmaking, sessions });
    await server.server.reload(next.parties); // serve() forgotten
    await ada.expect("state.snapshot"); // back in its room, a room of the new mount
    const entry = await server.logged("rooms.mount_not_served");
    expect(entry.level).toBe("error");
    expect(entry.message).toMatch(/serve\(\)/);
  });
});
