/**
 * A reload of the code (`yparty dev`'s rebuild; here `server.reload` with a new mount, the sessions kept) that lowers
 * the resume window reached the sessions open across it at once (h123), but a session away already (its socket gone,
 * its client not back yet) kept the window in force when it went: 30 s later it still held its seat, listed in
 * `room.list`, long past the served window. Now the served window, counted from when the socket went, holds for it too:
 * one past it ends at once (its `onLeave`, its seat free, a resume refused). The game's
 * `reconnectWindowMs` alike: test/game/h132-away-window-reload.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createRooms, defineRoomType, MatchmakingState, RoomsSessions } from "../../src/rooms/index.js";
import { cleanupAll, deferred, startServer, waitFor } from "../helpers/server.js";
import { rawClient } from "./helpers.js";

afterEach(cleanupAll);

const LONG_MS = 60_000;
const SHORT_MS = 200;

describe("a reload that lowers the resume window", () => {
  it("ends a rooms session away already once the served window since it went is up", async () => {
    const left = deferred<string>();
    const hall = defineRoomType({ onLeave: (player) => left.resolve(player) });
    const [matchmaking, sessions] = [new MatchmakingState(), new RoomsSessions()];
    const mount = (resumeWindowMs: number) => createRooms({ types: { hall }, matchmaking, sessions, limits: { resumeWindowMs } });
    const first = mount(LONG_MS);
    const server = await startServer(first.parties, { storage: "memory", sockets: first.sockets });
    const stay = rawClient(server);
    await stay.handshake({ token: "dev:stay" });
    await stay.request("room.join_or_create", { room_type: "hall", room: "h" });
    const away = rawClient(server);
    const { session_id } = await away.handshake({ token: "dev:away" });
    await away.request("room.join_or_create", { room_type: "hall", room: "h" });
    const wentAt = Date.now(); // before the close: the server may see it long before the client hears it is done
    await away.client.close();

    const next = mount(SHORT_MS);
    next.serve();
    await server.server.reload(next.parties);
    // Before: kept for the 60 s in force when it went.
    expect(await waitFor(left.promise, "the away player's onLeave", 5_000)).toBe("away");
    expect(Date.now() - wentAt).toBeGreaterThanOrEqual(SHORT_MS - 5); // timers round to the millisecond
    const { rooms } = await stay.request("room.list", { room_type: "hall" });
    expect(rooms).toMatchObject([{ room: "h", clients: 1 }]);
    const back = rawClient(server);
    expect(await back.handshake({ token: "dev:away", session_id })).toMatchObject({ resumed: false, rooms: [] });
  });
  it("keeps a session away longer when a reload raises the window (the raised one, counted from when it went)", async () => {
    const left = deferred<string>();
    const hall = defineRoomType({ onLeave: (player) => left.resolve(player) });
    const [matchmaking, sessions] = [new MatchmakingState(), new RoomsSessions()];
    const mount = (resumeWindowMs: number) => createRooms({ types: { hall }, matchmaking, sessions, limits: { resumeWindowMs } });
    const first = mount(1_000);
    const server = await startServer(first.parties, { storage: "memory", sockets: first.sockets });
    const away = rawClient(server);
    await away.handshake({ token: "dev:away" });
    await away.request("room.join_or_create", { room_type: "hall", room: "h" });
    const wentAt = Date.now(); // before the close: the server may see it long before the client hears it is done
    await away.client.close();
    // Raised, then lowered to 2 s: it ends 2 s after it went, not at the first 1 s (nor the 60 s between).
    for (const resumeWindowMs of [LONG_MS, 2_000]) {
      const next = mount(resumeWindowMs);
      next.serve();
      await server.server.reload(next.parties);
    }
    expect(await waitFor(left.promise, "the away player's onLeave", 6_000)).toBe("away");
    expect(Date.now() - wentAt).toBeGreaterThanOrEqual(2_000 - 5); // timers round to the millisecond
  });
});
