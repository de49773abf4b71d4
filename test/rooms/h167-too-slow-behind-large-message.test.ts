/**
 * A rooms client closed as too slow (4008) while a large message is still being written to it holds the reliable room
 * messages sent meanwhile for its resume, the one that found it too slow among them: its socket's close waits behind the
 * message (the runtime paces it), and the session must see the socket as not open from the close on, or what it sends
 * goes to a socket that drops it.
 */
import { afterEach, expect, it } from "vitest";
import { defineRoomType } from "../../src/rooms/index.js";
import { cleanupAll } from "../helpers/server.js";
import { rawClient, startRooms } from "./helpers.js";

afterEach(cleanupAll);

/** `say` is broadcast to every member as `said`, reliably. */
const hall = defineRoomType({
  onInput({ type, data }) {
    if (type === "say") this.broadcast("said", data);
  },
});

/** More than loopback's socket buffers hold: it is still being written while its reader does not read. */
const LARGE_TEXT = "x".repeat(12 * 1024 * 1024);
const limits = { maxReliableBufferBytes: 64 * 1024 };

it("rooms: the room messages sent after a too-slow close that waits behind a large message are held for the resume", async () => {
  const server = await startRooms({ hall }, { limits });
  const alice = rawClient(server);
  const sessionId = (await alice.handshake({ token: "dev:alice" })).session_id as string;
  await alice.request("room.join_or_create", { room_type: "hall", room: "h" });
  const bob = rawClient(server);
  await bob.handshake({ token: "dev:bob" });
  await bob.request("room.join_or_create", { room_type: "hall", room: "h" });
  // Alice stops reading: the large message stays unwritten, and what follows waits behind it.
  const tcp = (alice.client.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
  tcp.pause();
  const say = async (n: number, text = "y".repeat(40 * 1024)) => {
    bob.send("room.message", { room: "h", type: "say", data: { n, text } });
    await bob.expect("room.message", (p) => p.data?.n === n, 20_000);
  };
  await say(0, LARGE_TEXT);
  // 1 and 2 wait behind it (80 KiB beyond the large message): 3 finds alice too slow, and her socket is closed 4008.
  for (const n of [1, 2, 3]) await say(n);
  // Sent while that close waits behind the large message.
  for (const n of [4, 5]) await say(n, "z");
  tcp.resume();
  expect((await alice.client.closed).code).toBe(4008);

  const back = rawClient(server);
  expect(await back.handshake({ token: "dev:alice", session_id: sessionId })).toMatchObject({ resumed: true });
  // 3 too, the one that found her too slow (before, it was dropped); before h167, none came back (the session sent
  // them to the closing socket, which dropped them).
  const held = [];
  for (let i = 0; i < 3; i++) held.push((await back.expect("room.message")).p.data.n);
  expect(held).toEqual([3, 4, 5]);
}, 60_000);
