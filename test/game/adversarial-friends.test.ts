/**
 * Adversarial friendship checks (helper 50). "Friendships are mutual: POST /api/friends {player_id: alan} sends
 * alan a friend_request notification; alan adding back makes both friends" (docs/game.md). Two players who add
 * each other at the same moment have both added back: they are friends.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupAll, type TestServer } from "../helpers/server.js";
import { defineMatch } from "../../src/game/index.js";
import { startGame } from "./helpers.js";

afterEach(cleanupAll);

const plain = defineMatch({ tickRate: 20, init: () => ({}) });

function call(server: TestServer, player: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${server.url}/api${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer dev:${player}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function api(server: TestServer, player: string, path: string, body?: unknown): Promise<any> {
  const response = await call(server, player, path, body);
  expect(response.status).toBe(200);
  return response.json();
}

describe("two players adding each other at once", () => {
  it("are friends afterwards, on both sides (LevelDB storage)", async () => {
    const server = await startGame({ matches: { plain }, server: { storage: "leveldb" } });
    await Promise.all([api(server, "ada", "/friends", { player_id: "bob" }), api(server, "bob", "/friends", { player_id: "ada" })]);
    expect(await api(server, "ada", "/friends")).toEqual({ friends: [{ player_id: "bob", state: "friend", status: "offline" }] });
    expect(await api(server, "bob", "/friends")).toEqual({ friends: [{ player_id: "ada", state: "friend", status: "offline" }] });
  });
});

describe("maxFriends under concurrent adds", () => {
  it("five adds at once with maxFriends 2: two invites kept, three answered 409 (LevelDB storage)", async () => {
    const server = await startGame({ matches: { plain }, limits: { maxFriends: 2 }, server: { storage: "leveldb" } });
    const others = ["bob", "cy", "dan", "eve", "fay"];
    const statuses = await Promise.all(others.map(async (other) => (await call(server, "ada", "/friends", { player_id: other })).status));
    const { friends } = (await api(server, "ada", "/friends")) as { friends: unknown[] };
    expect({ kept: friends.length, refused: statuses.filter((status) => status === 409).length }).toEqual({ kept: 2, refused: 3 });
  });
});

describe("accepting an invite at maxFriends", () => {
  it("adding back a player whose invite is pending takes no new place: friends, not 409", async () => {
    const server = await startGame({ matches: { plain }, limits: { maxFriends: 1 } });
    expect(await api(server, "bob", "/friends", { player_id: "ada" })).toEqual({ player_id: "ada", state: "invite_sent" });
    // ada holds one entry (bob's invite): adding bob back makes it a friendship, it does not add a second entry.
    const response = await call(server, "ada", "/friends", { player_id: "bob" });
    expect({ status: response.status, body: await response.json() }).toEqual({ status: 200, body: { player_id: "bob", state: "friend" } });
    expect(await api(server, "bob", "/friends")).toEqual({ friends: [{ player_id: "ada", state: "friend", status: "offline" }] });
  });
});
