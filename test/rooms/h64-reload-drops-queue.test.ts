/**
 * A code reload (`yparty dev`, `server.reload`) closes every connection of every party with 1012, the matchmakers'
 * too. A session rejoins its rooms by itself after it (docs/rooms.md), but a session waiting in a matchmaker just
 * forgets its queue (`#enqueue`'s onClose): nothing is said to the client, which goes on waiting for a `match.found`
 * that cannot come (a player who enqueues after the reload is not matched with it).
 */
import { afterEach, describe, expect, it } from "vitest";
import { createRooms } from "../../src/rooms/index.js";
import { cleanupAll, startServer, waitFor } from "../helpers/server.js";
import { counter } from "./fixtures.js";
import { rawClient } from "./helpers.js";

afterEach(cleanupAll);

describe("rooms: a matchmaking queue across a code reload", () => {
  it("a player queued before the reload is matched with one queued after it (or told it was dequeued)", async () => {
    const rooms = createRooms({ types: { counter } });
    const server = await startServer(rooms.parties, { storage: "memory", sockets: rooms.sockets });
    const ada = rawClient(server);
    await ada.handshake({ token: "dev:ada" });
    expect(await ada.request("matchmaking.enqueue", { room_type: "counter", size: 2 })).toMatchObject({ ok: true });

    await waitFor(server.server.reload(rooms.parties), "the reload");

    const bob = rawClient(server);
    await bob.handshake({ token: "dev:bob" });
    expect(await bob.request("matchmaking.enqueue", { room_type: "counter", size: 2 })).toMatchObject({ ok: true });
    // Before: nothing reaches ada (bob waits alone): her queue went with the reload, unsaid.
    const found = await ada.expect("match.found", () => true, 1500).catch(() => undefined);
    const told = found ? "match.found" : ada.client.messages.some((frame) => String(frame).includes('"t":"error"')) ? "error" : "nothing";
    expect(told, "ada gets a match.found with bob, or an error saying she left the queue").not.toBe("nothing");
  });
});
