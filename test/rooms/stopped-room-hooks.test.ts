/**
 * Helper 47 (holds up: kept as a regression test). A join whose `onJoin` still runs when the room stops (a `dev`
 * reload, 1012) finishes in the stopped instance: the runtime does not wait for it. What that instance does then must
 * not reach the room's storage over the new instance's state; it does not (checked by a later load of the room). It
 * used to undo the join there with `onLeave` (its connection closed), for a player whose join goes on in the next
 * instance; since helper 139 a stopped instance runs nothing for it (rooms/h139-join-ends-after-stop).
 */
import { EventEmitter, once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { createRooms, defineRoomType } from "../../src/rooms/index.js";
import { cleanupAll, deferred, startServer, waitFor } from "../helpers/server.js";
import { rawClient, type RawClient } from "./helpers.js";
import type { TestServer } from "../helpers/server.js";

afterEach(cleanupAll);

const hooks = new EventEmitter();
let hold: Promise<void> | undefined;

const seats = defineRoomType<{ in: string[] }>({
  onCreate() {
    this.state = { in: [] };
  },
  async onJoin(player, options) {
    hooks.emit("joining", player);
    if (options.hold === true && hold) await hold;
    if (!this.state.in.includes(player)) this.state.in.push(player);
  },
  onLeave(player) {
    this.state.in = this.state.in.filter((name) => name !== player);
    hooks.emit("leave", player);
  },
});

async function session(server: TestServer, player: string): Promise<RawClient> {
  const client = rawClient(server);
  await client.handshake({ token: `dev:${player}` });
  return client;
}

describe("rooms: a join still running when the room stops", () => {
  it("does not write the stopped instance's state over the live one's", async () => {
    const rooms = createRooms({ types: { seats }, limits: { saveIntervalMs: 0 } });
    const server = await startServer(rooms.parties, { storage: "memory", sockets: rooms.sockets });
    const bob = await session(server, "bob");
    expect((await bob.request("room.join_or_create", { room_type: "seats", room: "s" })).ok).toBe(true);
    await bob.expect("state.snapshot");
    const release = deferred();
    hold = release.promise;
    const ada = await session(server, "ada");
    const joining = once(hooks, "joining");
    const adaAnswer = ada.request("room.join_or_create", { room_type: "seats", room: "s", options: { hold: true } });
    await waitFor(joining, "ada's onJoin");
    const joiningAgain = once(hooks, "joining");
    await waitFor(server.server.reload(rooms.parties), "the reload"); // bob's session rejoins by itself
    // Ada's join goes on in the new instance (h132; it was answered ok: false), where her onJoin waits again.
    await waitFor(joiningAgain, "ada's onJoin in the new instance");
    // The new instance: bob back in (his kept seat), the state stored.
    const carol = await session(server, "carol");
    expect((await carol.request("room.join_or_create", { room_type: "seats", room: "s" })).ok).toBe(true);
    expect(((await carol.expect("state.snapshot")).p.state as { in: string[] }).in.sort()).toEqual(["bob", "carol"]);
    // The old instance's onJoin ends now: nothing more runs there (no onLeave); the new one's is done.
    const left: string[] = [];
    hooks.on("leave", (player: string) => left.push(player));
    release.resolve();
    expect((await waitFor(adaAnswer, "ada's answer")).ok).toBe(true);
    await carol.expect("state.patch", (p) => p.ops.some((op: { path: string; value?: unknown }) => op.value === "ada"));
    // A later load of the room (another reload) finds what the live instance stored: bob, carol and ada.
    await waitFor(server.server.reload(rooms.parties), "the second reload");
    const dan = await session(server, "dan");
    expect((await dan.request("room.join_or_create", { room_type: "seats", room: "s" })).ok).toBe(true);
    // Before: {in: ["bob"]}, the stopped instance's state (it never had carol), written after its stop.
    expect(((await dan.expect("state.snapshot")).p.state as { in: string[] }).in.sort()).toEqual(["ada", "bob", "carol", "dan"]);
    expect(left).toEqual([]);
    hooks.removeAllListeners("leave");
  });
});
