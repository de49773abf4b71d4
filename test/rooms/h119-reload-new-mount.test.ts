/**
 * A program that reloads its code with a new `createRooms` (as `yparty dev` does at each rebuild) gives each the same
 * `RoomsSessions` and serves the new one: the server keeps the first mount's socket handler (`createServer({ sockets })`
 * is given once), and its sessions, a dropped one resumed after the reload and an open one, use the served mount's
 * room types. Before `sessions` existed, the first handler's sessions kept the first code for good.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createRooms, defineRoomType, MatchmakingState, RoomsSessions } from "../../src/rooms/index.js";
import { cleanupAll, startServer } from "../helpers/server.js";
import { rawClient } from "./helpers.js";

afterEach(cleanupAll);

describe("createRooms({ sessions }) and serve()", () => {
  it("a reload with a new mount keeps the sessions, which use the new room types", async () => {
    const [matchmaking, sessions] = [new MatchmakingState(), new RoomsSessions()];
    const lobby = defineRoomType({});
    const first = createRooms({ types: { lobby }, matchmaking, sessions });
    const server = await startServer(first.parties, { storage: "memory", sockets: first.sockets });
    const [ada, bob] = [rawClient(server), rawClient(server)];
    const { session_id } = await ada.handshake({ token: "dev:ada" });
    await bob.handshake({ token: "dev:bob" });
    expect((await ada.request("room.join_or_create", { room_type: "lobby", room: "l" })).ok).toBe(true);
    await ada.client.close();

    const next = createRooms({ types: { lobby, arena: defineRoomType({ maxClients: 2 }) }, matchmaking, sessions });
    // Made, not served yet: the sessions still speak the first code.
    expect((await bob.request("room.join_or_create", { room_type: "arena", room: "a" })).reason).toMatch(/must be one of: lobby$/);
    next.serve();
    await server.server.reload(next.parties);

    expect((await bob.request("room.join_or_create", { room_type: "arena", room: "a" })).ok).toBe(true);
    const back = rawClient(server);
    expect(await back.handshake({ token: "dev:ada", session_id })).toMatchObject({ session_id, resumed: true, rooms: [{ room: "l", room_type: "lobby" }] });
    expect((await back.request("room.join_or_create", { room_type: "arena", room: "a" })).ok).toBe(true);
  });
});
