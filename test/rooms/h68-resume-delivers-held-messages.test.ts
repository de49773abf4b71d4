/**
 * Reliable room messages are never dropped (docs/rooms.md): those sent to a session while it has no socket (between
 * a socket loss and the resume) are held and delivered, in order, once the session is resumed.
 */
import { afterEach, describe, expect, it } from "vitest";
import { defineRoomType } from "../../src/rooms/index.js";
import { cleanupAll } from "../helpers/server.js";
import { rawClient, startRooms, type RawClient } from "./helpers.js";

afterEach(cleanupAll);

/** `say` is broadcast to every member as `said`, reliably. */
const hall = defineRoomType({
  onInput({ type, data }) {
    if (type === "say") this.broadcast("said", data);
  },
});

async function inHall(client: RawClient, token: string, session_id?: string): Promise<string> {
  const ok = await client.handshake({ token, ...(session_id === undefined ? {} : { session_id }) });
  if (session_id === undefined) await client.request("room.join_or_create", { room_type: "hall", room: "h" });
  return ok.session_id as string;
}

describe("rooms: a resumed session", () => {
  it("gets the reliable room messages sent while it had no socket, in order", async () => {
    const server = await startRooms({ hall });
    const alice = rawClient(server);
    const sessionId = await inHall(alice, "dev:alice");
    const bob = rawClient(server);
    await inHall(bob, "dev:bob");
    // The socket goes (closed: a terminated one takes what is written to it until the server sees it go).
    await alice.client.close();
    for (const n of [1, 2]) {
      bob.send("room.message", { room: "h", type: "say", data: { n } });
      await bob.expect("room.message", (p) => p.data?.n === n); // the room has sent it to alice's session too
    }

    const back = rawClient(server);
    expect(await back.handshake({ token: "dev:alice", session_id: sessionId })).toMatchObject({ resumed: true });
    const said = [await back.expect("room.message"), await back.expect("room.message")].map((envelope) => envelope.p);
    expect(said).toEqual([1, 2].map((n) => ({ room: "h", type: "said", data: { n } })));
  });

  it("holds up to maxReliableBufferBytes of them, counted in bytes as sent, and says how many it dropped past that", async () => {
    const server = await startRooms({ hall }, { limits: { maxReliableBufferBytes: 4_000 } });
    const alice = rawClient(server);
    const sessionId = await inHall(alice, "dev:alice");
    const bob = rawClient(server);
    await inHall(bob, "dev:bob");
    await alice.client.close();
    // Each ~1,500 bytes in UTF-8 (500 three-byte characters), 500 UTF-16 units: two fit in 4,000 bytes, not three.
    for (const n of [1, 2, 3, 4]) {
      bob.send("room.message", { room: "h", type: "say", data: { n, text: "€".repeat(500) } });
      await bob.expect("room.message", (p) => p.data?.n === n);
    }

    const back = rawClient(server);
    await back.handshake({ token: "dev:alice", session_id: sessionId });
    const first = [await back.expect("room.message"), await back.expect("room.message")].map((envelope) => envelope.p.data.n);
    expect(first).toEqual([1, 2]);
    expect((await back.expect("error")).p.reason).toMatch(/^2 room messages sent while the socket was away were dropped/);
  });
});
