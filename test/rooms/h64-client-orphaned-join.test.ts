/**
 * The typed client loses its socket while a join of its is still running in the room (an async `onJoin`): its
 * `joinOrCreate` rejects ("the connection was lost") and it resumes its session. `handshake.ok {resumed: true, rooms}`
 * lists the rooms the session is in or joining back after a reload, not a join the client itself asked for that is
 * still on its way, so the client cannot leave it. When that join is done, the session is in the room: the answer
 * (`rpc.response` with the old `rid`) and the `state.snapshot` reach the resumed client, which ignores both (no
 * pending request, an unknown room). The player holds a seat in a room the client does not know, until the session ends.
 */
import { describe, expect, it } from "vitest";
import { connect, type RoomsClient } from "../../rooms-client/index.js";
import { defineRoomType } from "../../src/rooms/index.js";
import { deferred, pollUntil, waitFor } from "../helpers/server.js";
import { trackedClients } from "../helpers/tracked-websocket.js";
import { type P, rawClient, startRooms } from "./helpers.js";

const { WebSocket: TrackedWebSocket, sockets, clients } = trackedClients<RoomsClient>();

const entered = deferred();
const release = deferred();

const slow = defineRoomType<{ players: string[] }>({
  onCreate() {
    this.state = { players: [] };
  },
  async onJoin(player) {
    if (player === "ada") {
      entered.resolve();
      await release.promise;
    }
    this.state.players.push(player);
  },
});

describe("rooms-client: a join of its own still running when the socket was lost", () => {
  it("once the resumed session is in that room, the client either knows it or leaves it", async () => {
    const server = await startRooms({ slow });
    const watcher = rawClient(server);
    await watcher.handshake({ token: "dev:watcher" });
    await watcher.request("room.join_or_create", { room_type: "slow", room: "s" });
    await watcher.expect("state.snapshot");

    const client = await connect(server.wsUrl("/rooms"), {
      token: "dev:ada",
      codecs: ["json"],
      WebSocket: TrackedWebSocket,
      backoff: { initialMs: 10, maxMs: 20 },
      ackDelayMs: 5,
    });
    clients.push(client);
    const sessionId = client.sessionId;
    const join = client.joinOrCreate("slow", { room: "s" });
    await waitFor(entered.promise, "ada's onJoin");
    const reopened = new Promise<void>((resolve) => client.on((event) => event.type === "status" && event.status === "open" && resolve()));
    sockets[0]!.terminate(); // the network goes while the join runs
    await expect(join).rejects.toThrow(/connection was lost/);
    await waitFor(reopened, "the client back");
    expect(client.sessionId).toBe(sessionId); // resumed

    release.resolve(); // the join is done: the session is in room s
    await watcher.expect("state.patch", (p) => JSON.stringify(p.ops).includes("ada"));
    const settled = await pollUntil(
      "the client to know room s or to leave it",
      async () => {
        if (client.rooms.has("s")) return "known";
        const { rooms } = await watcher.request("room.list", { room_type: "slow" });
        return (rooms as P[]).find((room) => room.room === "s")?.clients === 1 ? "left" : undefined;
      },
      1000,
    ).catch(() => "neither");
    // Before: neither: ada stays seated in room s (2 clients), which her client does not know.
    expect(settled).not.toBe("neither");
  });
});
