/**
 * `createGame({ sessions })` attacked from the outside (a real server, reloaded with a new `createGame` as `yparty dev`
 * does, raw game clients). A chat rate the reload lowers holds at once for a player who sent more than it allows
 * (held up). The REST API kept the first mount's token check (and body limit) for good while the socket used the served
 * mount's: a token the reload revoked still reached the player's friends and notifications. Misused, the sessions went silently wrong: a second server's mount given the first's sessions spoke the
 * first's code (its matches, limits, token check), and a reload that forgot the new mount's `serve()` kept the old
 * code for good, nothing said; now the first fails its sockets (1011, logged) and the second is logged as an error.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createGame, defineMatch, GameSessions, MatchmakingState } from "../../src/game/index.js";
import { cleanupAll, startServer, waitFor } from "../helpers/server.js";
import { gameClient } from "./helpers.js";

afterEach(cleanupAll);

const arena = defineMatch({ tickRate: 10, init: () => ({}) });

describe("game sessions across a reload", () => {
  it("a lowered chat rate holds at once for a player past it", async () => {
    const [matchmaking, sessions] = [new MatchmakingState(), new GameSessions()];
    const first = createGame({ matches: { arena }, matchmaking, sessions, limits: { chatMessagesPerWindow: 5, chatRateWindowMs: 60_000 } });
    const server = await startServer(first.parties, { storage: "memory", sockets: first.sockets, routes: first.routes });
    const ada = gameClient(server);
    await ada.connect("ada");
    expect((await ada.request("chat.join", { channel_id: "c" })).type).toBe("chat.join");
    for (const n of [1, 2, 3]) expect((await ada.request("chat.send", { channel_id: "c", content: `m${n}` })).type).toBe("chat.send");

    const next = createGame({ matches: { arena }, matchmaking, sessions, limits: { chatMessagesPerWindow: 2, chatRateWindowMs: 60_000 } });
    next.serve();
    await server.server.reload(next.parties);
    const refused = await ada.request("chat.send", { channel_id: "c", content: "m4" });
    expect(refused.payload.reason).toMatch(/at most 2 per 60 s/);
  });

  it("two reloads in a row keep a player in its match (held up: the seat is taken again after each)", async () => {
    const [matchmaking, sessions] = [new MatchmakingState(), new GameSessions()];
    const mount = () => createGame({ matches: { arena }, matchmaking, sessions });
    const first = mount();
    const server = await startServer(first.parties, { storage: "memory", sockets: first.sockets, routes: first.routes });
    const ada = gameClient(server);
    await ada.connect("ada");
    expect((await ada.request("match.join", { match_id: "m1.arena" })).type).toBe("match.join");
    for (let reload = 0; reload < 2; reload++) {
      const next = mount();
      next.serve();
      await server.server.reload(next.parties); // the second before the first's retake is done
    }
    expect((await ada.request("match.join", { match_id: "m1.arena" })).type).toBe("match.join"); // in it still
    expect(ada.received.filter((message) => message.type === "error")).toEqual([]);
  });

  it("a token check the reload changes holds for the socket and the REST API alike", async () => {
    const [matchmaking, sessions] = [new MatchmakingState(), new GameSessions()];
    const only = (token: string) => (given: string) => (given === token ? "ada" : null);
    const first = createGame({ matches: { arena }, matchmaking, sessions, verifyToken: only("old") });
    // The server keeps the first mount's socket handler and routes (given once to createServer).
    const server = await startServer(first.parties, { storage: "memory", sockets: first.sockets, routes: first.routes });
    const friends = (token: string) => fetch(`${server.url}/api/friends`, { headers: { authorization: `Bearer ${token}` } });
    expect((await friends("old")).status).toBe(200);

    const next = createGame({ matches: { arena }, matchmaking, sessions, verifyToken: only("new") });
    next.serve();
    await server.server.reload(next.parties);
    const ada = gameClient(server);
    expect((await ada.request("session.connect", { token: "old" })).type).toBe("error");
    expect((await gameClient(server).request("session.connect", { token: "new" })).type).toBe("session.connected");
    // Before: the first mount's check, for good.
    expect((await friends("old")).status).toBe(401);
    expect((await friends("new")).status).toBe(200);
  });

  it("a mount on a second server given the first's sessions and never served: its sockets fail, logged", async () => {
    const sessions = new GameSessions();
    const first = createGame({ matches: { arena }, sessions });
    const second = createGame({ matches: { arena, duel: arena }, sessions });
    await startServer(first.parties, { storage: "memory", sockets: first.sockets, routes: first.routes });
    const two = await startServer(second.parties, { storage: "memory", sockets: second.sockets, routes: second.routes });
    const bob = gameClient(two);
    await bob.client.opened;
    bob.send("session.connect", { token: "dev:bob" });
    expect((await waitFor(bob.client.closed, "the second mount's socket to be closed")).code).toBe(1011);
    expect(JSON.stringify((await two.logged("socket.handler_failed")).error)).toMatch(/never served.*serve\(\)/);
  });

  it("a reload to a new mount whose serve() is never called: logged as a player's room starts", async () => {
    const [matchmaking, sessions] = [new MatchmakingState(), new GameSessions()];
    const first = createGame({ matches: { arena }, matchmaking, sessions });
    const server = await startServer(first.parties, { storage: "memory", sockets: first.sockets, routes: first.routes });
    const ada = gameClient(server);
    await ada.connect("ada");

    const next = createGame({ matches: { arena, duel: arena }, matchmaking, sessions });
    await server.server.reload(next.parties); // serve() forgotten
    await gameClient(server).connect("bob"); // bob's player room: one of the new mount's
    const entry = await server.logged("game.mount_not_served");
    expect(entry.level).toBe("error");
    expect(entry.message).toMatch(/serve\(\)/);
  });
});
