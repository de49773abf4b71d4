/**
 * Helper 47: inputs a client sends right after a `room.join_or_create` are held by the room until the join is done
 * (docs/rooms.md: "inputs the client sent meanwhile"). A join that has to wait for the close of the player's earlier
 * connection (`room.leave` and `room.join_or_create` of the same room sent at once, a play-again) loses them:
 * `#previousClosed` (src/rooms/room-party.ts) does `this.#joining.delete(conn); …; this.#joining.set(conn, [])`, so
 * the frames `onMessage` pushed into the join's held list while it waited are thrown away with the old list.
 */
import { afterEach, describe, expect, it } from "vitest";
import { defineRoomType } from "../../src/rooms/index.js";
import { cleanupAll } from "../helpers/server.js";
import { rawClient, startRooms, type RawClient } from "./helpers.js";
import type { TestServer } from "../helpers/server.js";

afterEach(cleanupAll);

/** Keeps the inputs it got in its state. */
const inbox = defineRoomType<{ inputs: string[] }>({
  onCreate() {
    this.state = { inputs: [] };
  },
  onInput({ type }) {
    this.state.inputs.push(type);
  },
});

async function joined(server: TestServer, room: string): Promise<RawClient> {
  const client = rawClient(server);
  await client.handshake({ token: "dev:ada" });
  expect((await client.request("room.join_or_create", { room_type: "inbox", room })).ok).toBe(true);
  await client.expect("state.snapshot");
  return client;
}

describe("rooms: inputs sent with a join that waits for the earlier connection's close", () => {
  it("a join then an input at once: the input reaches the room (the control)", async () => {
    const server = await startRooms({ inbox });
    const client = rawClient(server);
    await client.handshake({ token: "dev:ada" });
    const answer = client.request("room.join_or_create", { room_type: "inbox", room: "c" });
    client.send("room.message", { room: "c", type: "hello", data: null });
    expect((await answer).ok).toBe(true);
    await client.expect("state.patch", (p) => p.ops.some((op: { value?: unknown }) => JSON.stringify(op.value ?? null).includes("hello")));
  });

  it("a leave, a join and an input at once: the input reaches the room", async () => {
    const server = await startRooms({ inbox });
    const client = await joined(server, "r");
    const left = client.request("room.leave", { room: "r" });
    const answer = client.request("room.join_or_create", { room_type: "inbox", room: "r" });
    client.send("room.message", { room: "r", type: "hello", data: null });
    expect((await left).ok).toBe(true);
    expect((await answer).ok).toBe(true);
    const snapshot = await client.expect("state.snapshot");
    if ((snapshot.p.state as { inputs: string[] }).inputs.includes("hello")) return;
    // Before: no patch ever comes; the room never saw the input (dropped with the join's held frames).
    await client.expect("state.patch", (p) => p.ops.some((op: { value?: unknown }) => JSON.stringify(op.value ?? null).includes("hello")), 2000);
  });
});
