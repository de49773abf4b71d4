/**
 * Adversarial tests of RoomApi.dispose() (a room forgotten once it has no clients, then created anew by a join).
 * Each test here failed when written: it pins a defect, not a behaviour that holds.
 */
import { afterEach, describe, expect, it } from "vitest";
import { defineRoomType, RoomError } from "../../src/rooms/index.js";
import { cleanupAll, deferred, storageEmptied, type TestServer } from "../helpers/server.js";
import { rawClient, startRooms } from "./helpers.js";

afterEach(cleanupAll);

interface Owned {
  owner: string | null;
  n: number;
}

/** A room owned by whoever created it; `end` disposes it (and says so in its metadata). */
const owned = defineRoomType<Owned>({
  onCreate(options) {
    this.state = { owner: typeof options.owner === "string" ? options.owner : null, n: 0 };
  },
  onInput({ type }) {
    if (type === "inc") this.state.n++;
    if (type === "end") {
      this.setMetadata({ over: true });
      this.dispose();
    }
  },
});

async function joined(server: TestServer, token: string, room: string, options: Record<string, unknown> = {}) {
  const client = rawClient(server);
  await client.handshake({ token });
  const answer = await client.request("room.join_or_create", { room_type: "owned", room, options });
  return { client, answer };
}

describe("rooms: a disposed room created anew", () => {
  it("sends the new room's state in its first snapshot, not the disposed room's", async () => {
    const server = await startRooms({ owned });
    const { client: alice } = await joined(server, "dev:alice", "r", { owner: "alice" });
    expect((await alice.expect("state.snapshot")).p.state).toEqual({ owner: "alice", n: 0 });
    alice.send("room.message", { room: "r", type: "end", data: null });
    await alice.request("room.leave", { room: "r" });
    await storageEmptied(server, "rooms.owned/r", "the disposed room's storage to be deleted");

    const { client: bob } = await joined(server, "dev:bob", "r", { owner: "bob" });
    const snapshot = await bob.expect("state.snapshot");
    // Before: the snapshot frame cached for seq 0 of the disposed room ({owner: "alice"}) was sent again, since the
    // new room starts at the same seq (room-party.ts #snapshotFrame caches by seq; #discardIfEmpty resets neither).
    expect(snapshot.p.state).toEqual({ owner: "bob", n: 0 });
  });

  it("does not list the disposed room's metadata for the new room", async () => {
    const server = await startRooms({ owned });
    const { client: alice } = await joined(server, "dev:alice", "m");
    await alice.expect("state.snapshot");
    alice.send("room.message", { room: "m", type: "end", data: null });
    await alice.request("room.leave", { room: "m" });
    await storageEmptied(server, "rooms.owned/m", "the disposed room's storage to be deleted");
    const { client: bob } = await joined(server, "dev:bob", "m");
    await bob.expect("state.snapshot");
    const { rooms } = await bob.request("room.list", { room_type: "owned" });
    // Before: {over: true}, set by the room disposed (#metadata is kept by #discardIfEmpty, and stored again).
    expect(rooms).toEqual([{ room: "m", room_type: "owned", clients: 1, max_clients: 16, metadata: {} }]);
  });

  it("is forgotten when the join that held the discard back is refused", async () => {
    const letIn = deferred<boolean>();
    let asked: () => void = () => {};
    const askedOnce = new Promise<void>((resolve) => (asked = resolve));
    const gated = defineRoomType<Owned>({
      onCreate() {
        this.state = { owner: null, n: 0 };
      },
      async onJoin(player) {
        if (player !== "bob") return;
        asked();
        if (!(await letIn.promise)) throw new RoomError("no");
      },
      onInput({ type }) {
        if (type === "end") this.dispose();
      },
    });
    const server = await startRooms({ owned: gated });
    const { client: alice } = await joined(server, "dev:alice", "g");
    await alice.expect("state.snapshot");
    alice.send("room.message", { room: "g", type: "end", data: null });
    const bob = rawClient(server);
    await bob.handshake({ token: "dev:bob" });
    const bobJoin = bob.request("room.join_or_create", { room_type: "owned", room: "g" });
    await askedOnce;
    await alice.request("room.leave", { room: "g" }); // bob's join is running: the discard waits for it
    letIn.resolve(false);
    expect(await bobJoin).toMatchObject({ ok: false, reason: "no" });
    // Before: nobody is in the room, it was disposed, yet its storage is kept for good (#join's refusal path never
    // calls #discardIfEmpty, nor does the path of a joiner that left while onJoin ran).
    await storageEmptied(server, "rooms.owned/g", "the disposed room's storage to be deleted once the refused join is done", 2_000);
  });

  it("stays disposed across a restart: once the seats kept expire and the last client leaves, it is forgotten", async () => {
    const seen = defineRoomType<Owned>({
      onCreate() {
        this.state = { owner: null, n: 0 };
      },
      onLeave(player) {
        this.broadcast("left", player);
      },
      onInput({ type }) {
        this.state.n++;
        if (type === "end") this.dispose();
      },
    });
    const server = await startRooms({ owned: seen }, { limits: { resumeWindowMs: 300, saveIntervalMs: 0 }, server: { storage: "leveldb" } });
    const { client: alice } = await joined(server, "dev:alice", "s");
    await alice.expect("state.snapshot");
    alice.send("room.message", { room: "s", type: "end", data: null });
    await alice.expect("state.patch"); // the end was handled
    const again = await server.restart(); // alice's seat is kept across it
    const { client: bob } = await joined(again, "dev:bob", "s");
    await bob.expect("state.snapshot");
    await bob.expect("room.message", (p) => p.type === "left" && p.data === "alice"); // alice's seat expired
    await bob.request("room.leave", { room: "s" });
    // Before: dispose() lives only in memory (#disposing), so a restart forgets it and the room is kept for good.
    await storageEmptied(again, "rooms.owned/s", "the disposed room's storage to be deleted after the restart", 2_000);
  });

  it("is forgotten even when its onLeave throws", async () => {
    const throwing = defineRoomType<Owned>({
      onCreate() {
        this.state = { owner: null, n: 0 };
      },
      onLeave() {
        throw new Error("the leaderboard service is down");
      },
      onInput({ type }) {
        if (type === "end") this.dispose();
      },
    });
    const server = await startRooms({ owned: throwing });
    const { client: alice } = await joined(server, "dev:alice", "t");
    await alice.expect("state.snapshot");
    alice.send("room.message", { room: "t", type: "end", data: null });
    await alice.request("room.leave", { room: "t" });
    // Before: kept for good. onClose awaits #run(onLeave), which rethrows, so #discardIfEmpty after it never runs
    // (room-party.ts onClose; #keepSeat's expiry has the same shape: .then(discard) skipped on a rejection).
    await storageEmptied(server, "rooms.owned/t", "the disposed room's storage to be deleted despite onLeave's throw", 2_000);
  });
});
