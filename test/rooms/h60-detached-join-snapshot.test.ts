/**
 * A room a session joins while its socket is gone (detached, within the resume window) counts the member as having the
 * state at the join's seq (`ack: this.#seq`), though the `state.snapshot` it sent was dropped (no socket to send it
 * on). When the client resumes, `~resume` finds nothing missed (ack === seq) and sends nothing: `handshake.ok` lists
 * the room, yet the client never gets its state. Two ways to get there: a join whose socket drops while its `onJoin`
 * runs, and a code reload (1012) while the session is detached (the session joins its rooms back by itself).
 */
import { afterEach, describe, expect, it } from "vitest";
import { createRooms, defineRoomType } from "../../src/rooms/index.js";
import { cleanupAll, deferred, pollUntil, startServer, waitFor } from "../helpers/server.js";
import { counter, type CounterState } from "./fixtures.js";
import { incAndFollow, joinCounter, type Mirror, type RawClient, rawClient, startRooms } from "./helpers.js";

afterEach(cleanupAll);

async function drop(client: RawClient): Promise<void> {
  client.client.ws.terminate();
  await client.client.closed;
}

describe("rooms: a join done while the session is detached", () => {
  it("a join whose socket dropped while onJoin ran: the resumed client gets the room's state", async () => {
    const entered = deferred();
    const release = deferred();
    const slow = defineRoomType<{ players: string[] }>({
      onCreate() {
        this.state = { players: [] };
      },
      async onJoin(player) {
        this.state.players.push(player);
        if (player === "slow") {
          entered.resolve();
          await release.promise;
        }
      },
    });
    const server = await startRooms({ slow });
    const watcher = rawClient(server);
    await watcher.handshake({ token: "dev:watcher" });
    await watcher.request("room.join_or_create", { room_type: "slow", room: "s" });
    await watcher.expect("state.snapshot");

    const client = rawClient(server);
    const ok = await client.handshake({ token: "dev:slow" });
    client.send("room.join_or_create", { room_type: "slow", room: "s" }, "j");
    await waitFor(entered.promise, "slow's onJoin");
    await drop(client); // the network goes while the join runs
    release.resolve();
    // The join is done (the watcher sees the player in), while the session is detached.
    await watcher.expect("state.patch", (p) => JSON.stringify(p.ops).includes("slow"));

    const back = rawClient(server);
    const resumed = await back.handshake({ token: "dev:slow", session_id: ok.session_id });
    expect(resumed).toMatchObject({ resumed: true, rooms: [{ room: "s", room_type: "slow" }] });
    // The client has nothing of room s: its state must come (a snapshot; it never had one).
    const snapshot = await back.expect("state.snapshot", (p) => p.room === "s", 1500).catch(() => undefined);
    expect(snapshot?.p.state, "a state.snapshot of room s after the resume").toEqual({ players: ["watcher", "slow"] });
  });

  it("a reload while the session is detached: the resumed client gets what changed since its last ack", async () => {
    const rooms = createRooms({ types: { counter } });
    const server = await startServer(rooms.parties, { storage: "memory", sockets: rooms.sockets });
    const alice = await joinCounter(server, "r", "dev:alice");
    const bob = await joinCounter(server, "r", "dev:bob");
    while (alice.mirror.seq < bob.mirror.seq) alice.mirror.apply(await alice.client.expect("state.patch"));
    alice.client.send("state.ack", { room: "r", seq: alice.mirror.seq });
    await drop(alice.client);
    await incAndFollow(bob.client, bob.mirror, "r", 3); // alice misses these
    await waitFor(server.server.reload(rooms.parties), "the reload");
    await bob.client.expect("state.snapshot"); // bob's session joined back by itself (alice's too, detached)
    await pollUntil("alice's detached session to be back in room r", async () => {
      const list = await bob.client.request("room.list", { room_type: "counter" });
      return (list.rooms as Array<{ room: string; clients: number }>).some((room) => room.room === "r" && room.clients === 2) || undefined;
    });

    const back = rawClient(server);
    const resumed = await back.handshake({ token: "dev:alice", session_id: alice.sessionId });
    expect(resumed).toMatchObject({ resumed: true, rooms: [{ room: "r", room_type: "counter" }] });
    // What alice missed comes as patches after her ack or as a snapshot; either way her mirror catches up with bob's.
    const mirror: Mirror = alice.mirror;
    const caughtUp = (async () => {
      for (let index = 0; mirror.seq < bob.mirror.seq; index++) {
        await back.client.nth(index, 2000);
        const envelope = JSON.parse(back.client.messages[index] as string) as { t: string; p: { room: string } };
        if ((envelope.t === "state.snapshot" || envelope.t === "state.patch") && envelope.p.room === "r") mirror.apply(envelope as never);
      }
    })();
    await waitFor(caughtUp, "alice's mirror to catch up after the resume", 2000).catch(() => undefined);
    expect({ seq: mirror.seq, count: (mirror.state as CounterState).count }).toEqual({ seq: bob.mirror.seq, count: (bob.mirror.state as CounterState).count });
  });
});
