/**
 * A `room.leave` that comes while the session joins the room back by itself after a reload of the server's code: the
 * session answered the leave, and also the join it was making on its own, which no client request had asked for — an
 * `rpc.response {ok: false, reason: "left before the join was done"}` without a `rid`, an answer to nothing. Only a
 * client's join is answered so.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createRooms, defineRoomType } from "../../src/rooms/index.js";
import { cleanupAll, deferred, startServer, waitFor } from "../helpers/server.js";
import { rawClient } from "./helpers.js";

afterEach(cleanupAll);

describe("a leave while the session joins back after a reload", () => {
  it("is answered; the join the session made on its own is not", async () => {
    const plain = defineRoomType({});
    const rooms = createRooms({ types: { plain } });
    const server = await startServer(rooms.parties, { storage: "memory", sockets: rooms.sockets });
    const alice = rawClient(server);
    await alice.handshake({ token: "dev:alice" });
    expect(await alice.request("room.join_or_create", { room_type: "plain", room: "r" })).toMatchObject({ ok: true });

    const entered = deferred();
    const release = deferred();
    const slow = defineRoomType({
      async onJoin() {
        entered.resolve();
        await release.promise;
      },
    });
    void server.server.reload(createRooms({ types: { plain: slow } }).parties);
    await waitFor(entered.promise, "the session's own join back, in the reloaded room's onJoin");
    expect(await alice.request("room.leave", { room: "r" })).toEqual({ ok: true, room: "r" });
    release.resolve();
    // A request after it, answered: whatever the session sent before its answer has come.
    expect(await alice.request("room.list", {})).toMatchObject({ ok: true });
    expect(alice.received.filter((envelope) => envelope.t === "rpc.response" && envelope.rid === undefined)).toEqual([]);
  });
});
