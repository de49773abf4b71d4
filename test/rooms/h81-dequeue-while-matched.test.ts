/**
 * `matchmaking.dequeue` right behind the `matchmaking.enqueue` that made a match: the session answered it by itself
 * (`{dequeued: 1}`) and dropped its link to the matchmaker, so the `match.found` on its way was lost for that player
 * alone, while the others were told a match naming it, whose room held its seat. The matchmaker answers now: a queue
 * whose match was made is not left (`{dequeued: 0}`) and `match.found` follows, as Nakama answers a removal of a
 * ticket its matchmaker took already with "not found".
 */
import { afterEach, describe, expect, it } from "vitest";
import { defineRoomType } from "../../src/rooms/index.js";
import { cleanupAll } from "../helpers/server.js";
import { rawClient, startRooms } from "./helpers.js";

afterEach(cleanupAll);

const pair = { pair: defineRoomType({ maxClients: 2 }) };

describe("a dequeue racing the match", () => {
  it("leaves no queue whose match was made: {dequeued: 0}, then match.found", async () => {
    const server = await startRooms(pair, { server: { storage: "leveldb" } });
    const [ada, bob] = [rawClient(server), rawClient(server)];
    await ada.handshake({ token: "dev:ada" });
    await bob.handshake({ token: "dev:bob" });
    await ada.request("matchmaking.enqueue", { room_type: "pair", size: 2 });
    bob.send("matchmaking.enqueue", { room_type: "pair", size: 2 }, "enq");
    const dequeued = await bob.request("matchmaking.dequeue", {});
    const found = (await ada.expect("match.found")).p;
    expect(dequeued).toEqual({ ok: true, dequeued: 0 });
    expect((await bob.expect("match.found")).p).toEqual(found);
  });

  it("leaves a queue still waiting: {dequeued: 1}, and is never matched", async () => {
    const server = await startRooms(pair, { server: { storage: "leveldb" } });
    const [ada, bob, carl] = [rawClient(server), rawClient(server), rawClient(server)];
    await Promise.all([ada.handshake({ token: "dev:ada" }), bob.handshake({ token: "dev:bob" }), carl.handshake({ token: "dev:carl" })]);
    await ada.request("matchmaking.enqueue", { room_type: "pair", size: 2 });
    expect(await ada.request("matchmaking.dequeue", { room_type: "pair" })).toEqual({ ok: true, dequeued: 1 });
    await bob.request("matchmaking.enqueue", { room_type: "pair", size: 2 });
    await carl.request("matchmaking.enqueue", { room_type: "pair", size: 2 });
    expect((await bob.expect("match.found")).p.participants).toEqual(["bob", "carl"]);
    expect(ada.received.filter((envelope) => envelope.t === "match.found")).toEqual([]);
  });
});
