/**
 * A client whose `state.ack`s come out of order, twice, or for a seq it never had, then loses its socket and resumes:
 * the room goes by the highest seq acknowledged (a lower one later does not move it back), refuses a seq it never had
 * with `error` (the socket stays usable), answers a differing checksum with a snapshot, and the resume sends exactly the
 * patches after the highest ack, which the client's mirror applies without a gap.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupAll } from "../helpers/server.js";
import { incAndFollow, joinCounter, rawClient, startRooms } from "./helpers.js";
import { counter } from "./fixtures.js";

afterEach(cleanupAll);

describe("acks out of order, duplicated and wrong, then a resume", () => {
  it("resumes after the highest ack, whatever came after it", async () => {
    const server = await startRooms({ counter });
    const alice = await joinCounter(server, "r", "dev:alice");
    await incAndFollow(alice.client, alice.mirror, "r", 6);
    const high = alice.mirror.seq;
    for (const seq of [high, high - 3, high, high - 1]) alice.client.send("state.ack", { room: "r", seq });
    alice.client.send("state.ack", { room: "r", seq: high + 50 });
    expect((await alice.client.expect("error", (p) => p.room === "r")).p.reason).toMatch(/p\.seq must be an integer from 0 to/);
    // A checksum other than the room's at a seq it still has: the client gets the whole state.
    alice.client.send("state.ack", { room: "r", seq: high, checksum: "00000000" });
    const snapshot = await alice.client.expect("state.snapshot", (p) => p.room === "r");
    expect(snapshot.p.seq).toBe(high);

    alice.client.client.ws.terminate();
    await alice.client.client.closed;
    const bob = await joinCounter(server, "r", "dev:bob");
    await incAndFollow(bob.client, bob.mirror, "r", 3);
    const back = rawClient(server);
    expect(await back.handshake({ token: "dev:alice", session_id: alice.sessionId })).toMatchObject({ resumed: true });
    while (alice.mirror.seq < bob.mirror.seq) alice.mirror.apply(await back.expect("state.patch", (p) => p.room === "r"));
    expect(alice.mirror.state).toEqual(bob.mirror.state);
    // Only the patches after the highest ack came (bob's join and his three incs): none from before it again.
    const patches = back.received.filter((envelope) => envelope.t === "state.patch").map((envelope) => envelope.p.seq as number);
    expect(Math.min(...patches)).toBe(high + 1);
    expect(back.received.filter((envelope) => envelope.t === "state.snapshot")).toEqual([]);
  });
});
