/**
 * A room type with `syncState: false` keeps its state to itself ("stored, never sent: no snapshots, no patches; the
 * logic sends its clients what they see", src/rooms/define.ts): the state may hold what players must not see (a
 * hand of cards, a role). Yet any member gets the whole of it as a `state.snapshot` by asking: `state.resync`, an ack
 * with a wrong checksum, or a session resume after the state changed (`#sendAskedSnapshot` and `#catchUp` send the
 * snapshot without looking at `syncState`).
 */
import { afterEach, describe, expect, it } from "vitest";
import { defineRoomType } from "../../src/rooms/index.js";
import { cleanupAll } from "../helpers/server.js";
import { type RawClient, rawClient, startRooms } from "./helpers.js";

afterEach(cleanupAll);

/** Deals each player a secret card into the (unsynced) state, and tells each player its own card only. */
const cards = defineRoomType<{ hands: Record<string, string> }>({
  syncState: false,
  onCreate() {
    this.state = { hands: {} };
  },
  onJoin(player) {
    this.state.hands[player] = `secret-of-${player}`;
  },
  onInput({ type, sender }) {
    if (type === "peek") this.send(sender, "hand", this.state.hands[sender]);
    if (type === "shuffle") this.state.hands[sender] = `new-secret-of-${sender}`;
  },
});

async function player(server: Awaited<ReturnType<typeof startRooms>>, name: string): Promise<{ client: RawClient; sessionId: string; seq: number }> {
  const client = rawClient(server);
  const ok = await client.handshake({ token: `dev:${name}` });
  const joined = await client.request("room.join_or_create", { room_type: "cards", room: "t" });
  expect(joined).toMatchObject({ ok: true });
  return { client, sessionId: ok.session_id, seq: joined.seq };
}

/** Waits for `hand` (an answer the room sends after handling everything before it), then lists the snapshots got. */
async function snapshotsAfterPeek(client: RawClient): Promise<unknown[]> {
  client.send("room.message", { room: "t", type: "peek", data: null });
  await client.expect("room.message", (p) => p.type === "hand");
  return client.received.filter((envelope) => envelope.t === "state.snapshot").map((envelope) => envelope.p.state);
}

describe("rooms: a room type with syncState: false", () => {
  it("sends no snapshot on state.resync: the other players' secrets stay in the room", async () => {
    const server = await startRooms({ cards });
    await player(server, "alice");
    const { client: bob } = await player(server, "bob");
    expect(await snapshotsAfterPeek(bob)).toEqual([]); // the control: the join sent none
    bob.send("state.resync", { room: "t" });
    expect(await snapshotsAfterPeek(bob)).toEqual([]);
  });

  it("sends no snapshot for an ack with another checksum", async () => {
    const server = await startRooms({ cards });
    await player(server, "alice");
    const { client: bob, seq } = await player(server, "bob");
    bob.send("state.ack", { room: "t", seq, checksum: "00000000" }); // the seq the join answered
    expect(await snapshotsAfterPeek(bob)).toEqual([]);
  });

  it("sends no snapshot to a resumed session after the state changed", async () => {
    const server = await startRooms({ cards });
    await player(server, "alice");
    const bob = await player(server, "bob");
    bob.client.client.ws.terminate();
    await bob.client.client.closed;
    const carol = rawClient(server);
    await carol.handshake({ token: "dev:carol" });
    await carol.request("room.join_or_create", { room_type: "cards", room: "t" }); // the state changes meanwhile
    const back = rawClient(server);
    expect(await back.handshake({ token: "dev:bob", session_id: bob.sessionId })).toMatchObject({ resumed: true });
    expect(await snapshotsAfterPeek(back)).toEqual([]);
  });
});
