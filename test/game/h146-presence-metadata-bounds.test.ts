/**
 * A `presence.update`'s metadata goes to every friend on every update and into each friend's GET /api/friends. Before,
 * only the frame limit (64 KiB) bounded it: a player with 500 friends sent 32 MiB per update, and each friend's list
 * was up to 32 MiB. It is now at most `maxPresenceMetadataBytes` (1 KiB) of JSON, refused (code 3) past it; what the
 * frame check already refused (`__proto__` keys, nesting past 64 levels) stays refused with its code.
 */
import { afterEach, expect, it } from "vitest";
import { cleanupAll } from "../helpers/server.js";
import { createGame, defineMatch, GameErrorCode } from "../../src/game/index.js";
import { api, type GameClient, players, startGame } from "./helpers.js";
import type { TestServer } from "../helpers/server.js";

afterEach(cleanupAll);

const plain = defineMatch({ tickRate: 20, init: () => ({}) });

async function friends(server: TestServer, a: string, b: string): Promise<void> {
  await api(server, "/api/friends", a, { method: "POST", body: JSON.stringify({ player_id: b }) });
  await api(server, "/api/friends", b, { method: "POST", body: JSON.stringify({ player_id: a }) });
}

async function listedBy(server: TestServer, player: string): Promise<unknown> {
  return ((await (await api(server, "/api/friends", player)).json()) as { friends: unknown[] }).friends[0];
}

async function refused(client: GameClient, metadata: unknown): Promise<Record<string, unknown>> {
  const answer = await client.request("presence.update", { status: "in_game", metadata });
  expect(answer.type).toBe("error");
  return answer.payload;
}

it("metadata over maxPresenceMetadataBytes (1 KiB of JSON) is refused with code 3, and neither told nor listed", async () => {
  const server = await startGame({ matches: { plain } });
  const [ada, bob] = await players(server, "ada", "bob");
  await friends(server, "ada", "bob");

  const fits = { match_id: "m1.plain", note: "x".repeat(1024 - 33) };
  expect(Buffer.byteLength(JSON.stringify(fits))).toBe(1024);
  expect((await bob.request("presence.update", { status: "in_game", metadata: fits })).type).toBe("presence.update");
  await ada.expect("presence.changed", (p) => p.status === "in_game");

  const big = { match_id: "m1.plain", note: "é".repeat(30_000) }; // 60 KiB: under the frame limit
  expect(await refused(bob, big)).toEqual({ code: GameErrorCode.BadInput, reason: expect.stringContaining("maxPresenceMetadataBytes (1024)") });
  expect(await listedBy(server, "ada")).toEqual({ player_id: "bob", state: "friend", status: "in_game", metadata: fits });

  // What the frame check refuses stays refused, with its code: a "__proto__" key, nesting past 64 levels.
  expect(await refused(bob, JSON.parse('{"__proto__": {"admin": true}}'))).toMatchObject({
    code: GameErrorCode.BadInput,
    reason: expect.stringContaining("__proto__"),
  });
  let deep: unknown = {};
  for (let i = 0; i < 70; i++) deep = { d: deep };
  expect(await refused(bob, deep)).toMatchObject({ code: GameErrorCode.BadInput, reason: expect.stringContaining("deeper") });

  await bob.request("presence.update", { status: "away" });
  const changed = await ada.expect("presence.changed", (p) => p.status === "away");
  expect(changed.payload).toEqual({ player_id: "bob", status: "away" });
  expect(ada.received.filter((m) => m.type === "presence.changed" && m.payload.status === "in_game")).toHaveLength(1);
});

it("maxPresenceMetadataBytes is a limit of createGame, checked as the others", async () => {
  const server = await startGame({ matches: { plain }, limits: { maxPresenceMetadataBytes: 32 } });
  const [, bob] = await players(server, "ada", "bob");
  await friends(server, "ada", "bob");
  expect((await bob.request("presence.update", { status: "in_game", metadata: { match_id: "m1.plain" } })).type).toBe("presence.update");
  expect(await refused(bob, { match_id: "m1.plain", x: "yyyyyyyyyy" })).toMatchObject({ code: GameErrorCode.BadInput });
  await expect(startGame({ matches: { plain }, limits: { maxPresenceMetadataBytes: 0 } })).rejects.toThrow(/maxPresenceMetadataBytes/);
});

it("the metadata stays the player's across a reload of the server's code (the session tells it again), and goes offline with it", async () => {
  const options = { matches: { plain } };
  const server = await startGame(options);
  const [ada, bob] = await players(server, "ada", "bob");
  await friends(server, "ada", "bob");
  const metadata = { match_id: "m1.plain" };
  await bob!.request("presence.update", { status: "in_game", metadata, extra: "not kept" });
  await ada!.expect("presence.changed", (p) => p.status === "in_game");
  await server.server.reload(createGame(options).parties);
  // The reloaded player room hears the session again: friends are told the presence anew, metadata and all.
  expect((await ada!.expect("presence.changed", (p) => p.status === "in_game")).payload).toEqual({ player_id: "bob", status: "in_game", metadata });
  expect(await listedBy(server, "ada")).toEqual({ player_id: "bob", state: "friend", status: "in_game", metadata });
  await bob!.client.close();
  await ada!.expect("presence.changed", (p) => p.status === "offline");
  expect(await listedBy(server, "ada")).toEqual({ player_id: "bob", state: "friend", status: "offline" });
});
