/**
 * A room's state may hold a string with a lone surrogate (a chat line cut to 300 UTF-16 units in the middle of an
 * emoji): it is plain JSON, JSON clients get it intact, and the checksum is computed over it. MessagePack carries
 * strings as UTF-8, which has no form for a lone surrogate: `@msgpack/msgpack` writes long strings (> 200 bytes) with
 * `TextEncoder`, which puts U+FFFD in its place. A MessagePack client (the typed client's default codec) then holds
 * another string than the room: every patch and every snapshot fails its checksum, the mirror asks `state.resync`
 * again and again (one snapshot a second), and never has the room's state again. The wire rules every value keeps to
 * "whatever the codec" (src/rooms/wire/depth.ts: depth, no `__proto__`) do not cover it.
 *
 * MessagePack cannot carry the lone surrogate itself; what is asked is that its client holds what UTF-8 gives for it
 * (U+FFFD) and that the checksums agree (a lone surrogate counts as U+FFFD: src/rooms/wire/checksum.ts).
 */
import { afterEach, describe, expect, it } from "vitest";
import { connect, type RoomsClient } from "../../rooms-client/index.js";
import { defineRoomType } from "../../src/rooms/index.js";
import { cleanupAll, waitFor } from "../helpers/server.js";
import { rawClient, startRooms } from "./helpers.js";

const clients: RoomsClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await cleanupAll();
});

/** Keeps the last line said, cut to 300 UTF-16 units. */
const chat = defineRoomType<{ last: string }>({
  onCreate() {
    this.state = { last: "" };
  },
  onInput({ type, data }) {
    if (type === "say") this.state.last = String(data).slice(0, 300);
  },
});

describe("rooms: a state string with a lone surrogate, over MessagePack", () => {
  it("the MessagePack client's mirror gets the state the JSON clients get", async () => {
    const server = await startRooms({ chat });
    const { WebSocket } = await import("ws");
    const client = await connect(server.wsUrl("/rooms"), { token: "dev:ada", codecs: ["msgpack"], WebSocket, ackDelayMs: 5 });
    clients.push(client);
    expect(client.codec).toBe("msgpack");
    const room = await client.joinOrCreate<{ last: string }>("chat", { room: "c" });
    const errors: string[] = [];
    client.on((event) => event.type === "error" && errors.push(event.reason));

    const bob = rawClient(server); // a JSON client
    await bob.handshake({ token: "dev:bob" });
    await bob.request("room.join_or_create", { room_type: "chat", room: "c" });
    await bob.expect("state.snapshot");
    const stateSeen = new Promise<string>((resolve) =>
      client.on((event) => event.type === "state" && (event.state as { last: string }).last !== "" && resolve((event.state as { last: string }).last)),
    );
    const line = `${"x".repeat(299)}😀 and more`; // cut at 300: the emoji's first half stays
    bob.send("room.message", { room: "c", type: "say", data: line });
    const patch = await bob.expect("state.patch");
    const expected = line.slice(0, 300);
    expect(patch.p.ops[0].value).toBe(expected); // the JSON client has it as the room does

    const seen = await waitFor(stateSeen, "a state event on the MessagePack client", 2500).catch(() => undefined);
    // Before: none: every patch and snapshot fails its checksum (U+FFFD in place of the lone surrogate), resync after resync.
    const overUtf8 = `${expected.slice(0, -1)}\ufffd`;
    expect(seen, "the MessagePack client's mirror after the line").toBe(overUtf8);
    expect(room.state?.last).toBe(overUtf8);
    expect(errors).toEqual([]);
  });
});
