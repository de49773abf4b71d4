/**
 * Friends' presence across a restart of the server (the storage kept, everything in memory gone): a friend who comes back is told online to the friend already back, each one's status in
 * `GET /api/friends` is what its sockets say (offline for one who did not come back, not what it was before the
 * restart), and a notification left unread is delivered again once, with the same id.
 */
import { afterEach, describe, expect, it } from "vitest";
import { defineMatch, type GameOptions } from "../../src/game/index.js";
import { cleanupAll } from "../helpers/server.js";
import { api, players, restartGame, startGame } from "./helpers.js";

afterEach(cleanupAll);

const plain = defineMatch({ tickRate: 10, init: () => ({}) });
const options: GameOptions = { matches: { plain } };
const friendsOf = async (server: Parameters<typeof api>[0], player: string) => (await (await api(server, "/api/friends", player)).json()).friends;

describe("presence and notifications across a restart", () => {
  it("follow the sockets: back online is told, one not back is offline, an unread notification comes again once", async () => {
    const server = await startGame({ ...options, server: { storage: "leveldb" } });
    const [ada, bob] = await players(server, "ada", "bob");
    await api(server, "/api/friends", "ada", { method: "POST", body: JSON.stringify({ player_id: "bob" }) });
    const invite = (await bob!.expect("notification.new")).payload;
    await api(server, "/api/friends", "bob", { method: "POST", body: JSON.stringify({ player_id: "ada" }) });
    expect(await bob!.request("presence.update", { status: "in_game" })).toMatchObject({ type: "presence.update" });
    expect((await ada!.expect("presence.changed")).payload).toEqual({ player_id: "bob", status: "in_game" });

    const again = await restartGame(server, options);
    const [adaBack] = await players(again, "ada");
    expect(await friendsOf(again, "ada")).toEqual([{ player_id: "bob", state: "friend", status: "offline" }]);
    const [bobBack] = await players(again, "bob");
    expect((await adaBack!.expect("presence.changed")).payload).toEqual({ player_id: "bob", status: "online" });
    expect(await friendsOf(again, "bob")).toEqual([{ player_id: "ada", state: "friend", status: "online" }]);
    // The invite bob never read comes again, once, with its id.
    expect((await bobBack!.expect("notification.new")).payload).toEqual(invite);
    expect(await bobBack!.request("session.heartbeat")).toMatchObject({ type: "session.heartbeat" });
    expect(bobBack!.client.messages.filter((frame) => String(frame).includes('"notification.new"'))).toHaveLength(1);
  });
});
