/**
 * A reload to a mount made with the sessions of the last (`createRooms({ sessions })`) whose `serve()` was forgotten
 * was logged (`rooms.mount_not_served`) only once one of its rooms started: a server whose players were in no room
 * said nothing until the next join, however long that took. And a program that called `serve()` right after awaiting
 * `server.reload` was told it had forgotten it (a false alarm: its sessions' rooms started during the reload). The
 * sessions now hear the reload itself (the runtime's `SocketHost.onReload`) and check once it is done: the mount
 * that runs unserved is logged then, one served right after is not. The game's `game.mount_not_served` alike.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createGame, defineMatch, GameSessions } from "../../src/game/index.js";
import { createRooms, defineRoomType, MatchmakingState, RoomsSessions } from "../../src/rooms/index.js";
import { cleanupAll, startServer } from "../helpers/server.js";
import { gameClient } from "../game/helpers.js";
import { rawClient } from "./helpers.js";

afterEach(cleanupAll);

const lobby = defineRoomType({});

describe("a mount whose serve() was forgotten", () => {
  it("is logged at the reload, before any room of it starts", async () => {
    const [matchmaking, sessions] = [new MatchmakingState(), new RoomsSessions()];
    const first = createRooms({ types: { lobby }, matchmaking, sessions });
    const server = await startServer(first.parties, { storage: "memory", sockets: first.sockets });
    const ada = rawClient(server);
    await ada.handshake({ token: "dev:ada" }); // in no room
    const next = createRooms({ types: { lobby }, matchmaking, sessions });
    await server.server.reload(next.parties); // serve() forgotten
    // Before: nothing, until a join started a room of the new mount.
    const entry = await server.logged("rooms.mount_not_served");
    expect(entry).toMatchObject({ level: "error", code: "ERR_NOT_SERVED" });
    expect(entry.message).toMatch(/serve\(\)/);
  });

  it("a mount served right after the awaited reload is not logged, though its rooms started during it", async () => {
    const [matchmaking, sessions] = [new MatchmakingState(), new RoomsSessions()];
    const first = createRooms({ types: { lobby }, matchmaking, sessions });
    const server = await startServer(first.parties, { storage: "memory", sockets: first.sockets });
    const ada = rawClient(server);
    await ada.handshake({ token: "dev:ada" });
    expect((await ada.request("room.join_or_create", { room_type: "lobby", room: "l" })).ok).toBe(true);
    await ada.expect("state.snapshot");
    const next = createRooms({ types: { lobby }, matchmaking, sessions });
    await server.server.reload(next.parties);
    next.serve();
    await ada.expect("state.snapshot"); // back in its room, a room of the new mount
    await ada.request("room.list", {}); // a round trip: the check after the reload has run
    // Before: rooms.mount_not_served, logged as ada's room started during the reload.
    expect(server.logs.filter((entry) => entry.event === "rooms.mount_not_served")).toEqual([]);
  });

  it("the game's: logged at the reload", async () => {
    const arena = defineMatch({ tickRate: 10, init: () => ({}) });
    const [matchmaking, sessions] = [new MatchmakingState(), new GameSessions()];
    const first = createGame({ matches: { arena }, matchmaking, sessions });
    const server = await startServer(first.parties, { storage: "memory", sockets: first.sockets, routes: first.routes });
    const ada = gameClient(server);
    await ada.connect("ada");
    await ada.client.close(); // no session left: nothing of the new mount starts
    const next = createGame({ matches: { arena }, matchmaking, sessions });
    await server.server.reload(next.parties);
    expect(await server.logged("game.mount_not_served")).toMatchObject({ level: "error", code: "ERR_NOT_SERVED" });
  });
});
