/**
 * Adversarial reload checks of round 2 (helper h55). After `server.reload`, a session announces itself again to
 * its player room with its "last presence.update" (quiet). A presence.update the player room refused (status
 * "offline", or blank) is not the player's status: it must not replace the last one that was applied.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupAll, startServer, type TestServer } from "../helpers/server.js";
import { createGame } from "../../src/game/index.js";
import example from "../../examples/game/game.js";
import { players, startGame } from "./helpers.js";

afterEach(cleanupAll);

async function gameServer(): Promise<TestServer> {
  const game = createGame(example);
  return startServer(game.parties, { storage: "memory", sockets: game.sockets, routes: game.routes });
}

const reload = (server: TestServer) => server.server.reload(createGame(example).parties);

async function api(server: TestServer, player: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${server.url}/api${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer dev:${player}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return response.json();
}

describe("a refused presence.update, then a reload", () => {
  it("the player's status after the reload is the last one applied (busy), not the refused one's fallback", async () => {
    const server = await gameServer();
    const [ada] = await players(server, "ada", "bob");
    await api(server, "ada", "/friends", { player_id: "bob" });
    await api(server, "bob", "/friends", { player_id: "ada" });
    expect(await ada.request("presence.update", { status: "busy" })).toMatchObject({ type: "presence.update", payload: { status: "busy" } });
    expect(await ada.request("presence.update", { status: "offline" })).toMatchObject({ type: "error" }); // refused: still busy
    expect(await api(server, "bob", "/friends")).toEqual({ friends: [{ player_id: "ada", state: "friend", status: "busy" }] });
    await reload(server);
    await ada.request("session.heartbeat");
    // The quiet re-announce went to the new room before this request: its answer comes after it.
    expect(await ada.request("presence.update", { status: "" })).toMatchObject({ type: "error" });
    expect(await api(server, "bob", "/friends")).toEqual({ friends: [{ player_id: "ada", state: "friend", status: "busy" }] });
  });
});

describe("a reload whose code no longer has a mode (yparty dev: the mode was removed)", () => {
  it("matchmaker.add of that mode is answered error (as match.join of a removed match is), not an uncaught ERR_UNKNOWN_PARTY", async () => {
    const server = await gameServer();
    const [ada] = await players(server, "ada");
    await server.server.reload(createGame({ ...example, modes: {} }).parties);
    ada.send("matchmaker.add", { mode: "arena", properties: {} }, "add");
    const added = await ada.until("an answer to matchmaker.add", (message) => message.cid === "add", 2_000);
    expect(added.type).toBe("error");
    expect(await ada.request("session.heartbeat")).toMatchObject({ type: "session.heartbeat" });
  });
});

describe("a waiting ticket, then a reload whose code no longer has its mode", () => {
  it("the ticket is gone: the client is told, or at least its matchmaker.remove is not answered as if it waited", async () => {
    const server = await gameServer();
    const [ada] = await players(server, "ada");
    const ticket = await ada.request("matchmaker.add", { mode: "arena", properties: {} });
    await server.server.reload(createGame({ ...example, modes: {} }).parties);
    const removed = await ada.request("matchmaker.remove", { ticket_id: ticket.payload.ticket_id });
    const told = ada.received.some((message) => message.type === "error" && message.cid === undefined);
    expect({ told, removed: removed.type }).not.toEqual({ told: false, removed: "matchmaker.remove" });
  });
});
