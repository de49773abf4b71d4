/**
 * The typed client resumes its session after a lost socket and trusts `handshake.ok {resumed: true, rooms}` only to
 * leave rooms it does not know (rooms-client/client.ts `#handshakeOk`). A room it knows that the resumed session is no
 * longer in — the player was taken out of it while the socket was gone, and the `error` saying so had no socket to go
 * to — stays in `client.rooms`: its mirror frozen, its sends answered "not in room" and counted as bad frames (the
 * tenth closes the socket 4400 and the client stops for good). Here the room drops the player when its join back
 * after a reload is refused (a `RoomError` in `onJoin`, a case docs/rooms.md describes).
 */
import { describe, expect, it } from "vitest";
import { connect, type RoomsClient } from "../../rooms-client/index.js";
import { createRooms } from "../../src/rooms/index.js";
import { lockableRoom } from "./fixtures.js";
import { pollUntil, startServer, waitFor } from "../helpers/server.js";
import { heldBackToken } from "../helpers/held-back-token.js";
import { trackedClients } from "../helpers/tracked-websocket.js";

/** The sockets the clients open, so a test can cut one. */
const { WebSocket: TrackedWebSocket, sockets, clients } = trackedClients<RoomsClient>();

const left: string[] = [];
let onLeft: (() => void) | undefined;

const lockable = lockableRoom((player) => {
  left.push(player);
  onLeft?.();
});

describe("rooms-client: a resumed session no longer in a room the client knows", () => {
  it("the client drops (or rejoins) the room instead of keeping it as joined", async () => {
    const rooms = createRooms({ types: { lockable } });
    const server = await startServer(rooms.parties, { storage: "memory", sockets: rooms.sockets });
    // The reconnect waits (its token) until the room has let the player go.
    const { token, back: reconnect } = heldBackToken("ada");
    const client = await connect(server.wsUrl("/rooms"), {
      token,
      codecs: ["json"],
      WebSocket: TrackedWebSocket,
      backoff: { initialMs: 10, maxMs: 20 },
      ackDelayMs: 5,
    });
    clients.push(client);
    const sessionId = client.sessionId;
    const room = await client.joinOrCreate("lockable", { room: "r" });
    room.send("lock", null);
    await waitFor(
      new Promise<void>((resolve) => client.on((event) => event.type === "state" && (event.state as { locked: boolean }).locked && resolve())),
      "the lock",
    );

    sockets[0]!.terminate(); // the network goes
    const gone = new Promise<void>((resolve) => (onLeft = () => left.includes("ada") && resolve()));
    await waitFor(server.server.reload(rooms.parties), "the reload");
    await waitFor(gone, "ada's onLeave (her join back was refused)");

    const open = new Promise<void>((resolve) => client.on((event) => event.type === "status" && event.status === "open" && resolve()));
    reconnect();
    await waitFor(open, "the client back");
    expect(client.sessionId).toBe(sessionId); // resumed: the server said rooms: [] (ada is in none)
    // Dropped at once, or after a join back by name that the locked room refuses: either way, out within a second.
    await pollUntil("the client to let room r go", async () => (client.rooms.has("r") ? undefined : true), 1000).catch(() => undefined);
    expect(client.rooms.has("r"), "the typed client still counts itself in room r").toBe(false);
  });
});
