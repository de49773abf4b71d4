/**
 * A reload of the code (`yparty dev`'s rebuild; here `server.reload` with a new `createGame`, the sessions kept) that
 * lowers `sessionTimeoutMs`: an open socket idle since before the reload kept the timeout in force at its last frame,
 * and was held to the new one only from its next frame. Now the served timeout, counted from the last frame, holds at
 * once, as the reconnect window does for a session away (test/game/h132-away-window-reload).
 */
import { afterEach, describe, expect, it } from "vitest";
import { createGame, defineMatch, GameSessions, MatchmakingState } from "../../src/game/index.js";
import { GameCloseCode } from "../../src/game/messages.js";
import { cleanupAll, startServer, waitFor } from "../helpers/server.js";
import { gameClient } from "./helpers.js";

afterEach(cleanupAll);

const LONG_MS = 60_000;
const SHORT_MS = 200;

describe("a reload that lowers the session timeout", () => {
  it("closes a socket idle since before the reload once the served timeout since its last frame is up", async () => {
    const arena = defineMatch({ tickRate: 10, init: () => ({}) });
    const [matchmaking, sessions] = [new MatchmakingState(), new GameSessions()];
    const mount = (sessionTimeoutMs: number) => createGame({ matches: { arena }, matchmaking, sessions, limits: { sessionTimeoutMs } });
    const first = mount(LONG_MS);
    const server = await startServer(first.parties, { storage: "memory", sockets: first.sockets, routes: first.routes });
    const ada = gameClient(server);
    await ada.connect("ada");

    const next = mount(SHORT_MS);
    next.serve();
    await server.server.reload(next.parties);
    // Before: open for the 60 s in force at its last frame (no frame sent since).
    const closed = await waitFor(ada.client.closed, "ada's socket to time out", 5_000);
    expect(closed.code).toBe(GameCloseCode.SessionTimeout);
  });
});
