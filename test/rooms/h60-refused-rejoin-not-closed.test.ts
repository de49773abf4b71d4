/**
 * After a code reload (1012) each session joins its rooms back by itself. When that join back is refused (a
 * `RoomError` in `onJoin`: docs/rooms.md names this case, "a seat kept across a stop whose player's join back is
 * refused … ends with onLeave"), the player is no longer in the room, but the session tells the client with a bare
 * `error {reason, room}` (session.ts `#joinFailed`), without `closed: true`, the flag that says "the room closed this
 * player's connection: it is no longer in the room (the typed client forgets it)". So the typed client keeps the room
 * as joined: its mirror is frozen, and every `room.send` to it is answered `error` "not in room" and counted as a bad
 * frame — the tenth closes the socket 4400, after which the client stops for good.
 */
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { connect, type RoomsClient, type RoomsClientEvent } from "../../rooms-client/index.js";
import { createRooms } from "../../src/rooms/index.js";
import { lockableRoom } from "./fixtures.js";
import { cleanupAll, startServer, waitFor } from "../helpers/server.js";
import { rawClient } from "./helpers.js";

const clients: RoomsClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await cleanupAll();
});

const lockable = lockableRoom();

describe("rooms: a join back after a reload that the room refuses", () => {
  it("is told to the client with closed: true (raw protocol)", async () => {
    const rooms = createRooms({ types: { lockable } });
    const server = await startServer(rooms.parties, { storage: "memory", sockets: rooms.sockets });
    const ada = rawClient(server);
    await ada.handshake({ token: "dev:ada" });
    await ada.request("room.join_or_create", { room_type: "lockable", room: "r" });
    ada.send("room.message", { room: "r", type: "lock", data: null });
    await ada.expect("state.patch", (p) => p.ops.some((op: { path: string }) => op.path === "/locked"));
    await waitFor(server.server.reload(rooms.parties), "the reload");
    const error = await ada.expect("error", (p) => p.room === "r");
    expect(error.p.reason).toContain("locked");
    // ada is out of the room: a message to it is "not in room"
    ada.send("room.message", { room: "r", type: "x", data: null });
    expect((await ada.expect("error", (p) => p.room === undefined)).p.reason).toContain('not in room "r"');
    expect(error.p.closed, "the error that took ada out of room r says closed: true").toBe(true);
  });

  it("the typed client forgets the room (else each send to it is a bad frame, the tenth closing the socket 4400)", async () => {
    const rooms = createRooms({ types: { lockable } });
    const server = await startServer(rooms.parties, { storage: "memory", sockets: rooms.sockets });
    const client = await connect(server.wsUrl("/rooms"), { token: "dev:ada", codecs: ["json"], WebSocket, backoff: { initialMs: 20, maxMs: 100 } });
    clients.push(client);
    const room = await client.joinOrCreate("lockable", { room: "r" });
    const events: RoomsClientEvent[] = [];
    client.on((event) => events.push(event));
    room.send("lock", null);
    await waitFor(
      new Promise<void>((resolve) => client.on((event) => event.type === "state" && (event.state as { locked: boolean }).locked && resolve())),
      "the lock",
    );
    const refused = new Promise<void>((resolve) => client.on((event) => event.type === "error" && event.room === "r" && resolve()));
    await waitFor(server.server.reload(rooms.parties), "the reload");
    await waitFor(refused, "the error for room r");
    expect(client.rooms.has("r"), "the typed client still counts itself in room r").toBe(false);
  });
});
