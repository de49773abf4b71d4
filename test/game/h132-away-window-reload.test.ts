/**
 * A reload of the code (`yparty dev`'s rebuild; here `server.reload` with a new `createGame`, the sessions kept) that
 * lowers `reconnectWindowMs`: a session away already (its socket gone, in a match) kept the window in force when it
 * went. Now the served window, counted from when the socket went, holds for it too (test/rooms/h132-away-window-reload
 * for the rooms protocol).
 */
import { afterEach, describe, expect, it } from "vitest";
import { createGame, defineMatch, GameSessions, MatchmakingState } from "../../src/game/index.js";
import { cleanupAll, deferred, startServer, waitFor } from "../helpers/server.js";
import { gameClient } from "./helpers.js";

afterEach(cleanupAll);

const LONG_MS = 60_000;
const SHORT_MS = 200;

describe("a reload that lowers the reconnect window", () => {
  it("ends a game session away already once the served reconnect window since it went is up", async () => {
    const left = deferred<string>();
    const arena = defineMatch({ tickRate: 10, init: () => ({}), onLeave: (_state, player) => left.resolve(player) });
    const [matchmaking, sessions] = [new MatchmakingState(), new GameSessions()];
    const mount = (reconnectWindowMs: number) => createGame({ matches: { arena }, matchmaking, sessions, limits: { reconnectWindowMs } });
    const first = mount(LONG_MS);
    const server = await startServer(first.parties, { storage: "memory", sockets: first.sockets, routes: first.routes });
    const ada = gameClient(server);
    await ada.connect("ada");
    expect((await ada.request("match.join", { match_id: "m1.arena" })).type).toBe("match.join");
    await ada.client.close();

    const next = mount(SHORT_MS);
    next.serve();
    await server.server.reload(next.parties);
    // Before: kept (in the match) for the 60 s in force when the socket went.
    expect(await waitFor(left.promise, "ada's onLeave", 5_000)).toBe("ada");
    const back = gameClient(server);
    expect(await back.connect("ada")).not.toHaveProperty("match_id");
  });
});
