/**
 * A player whose socket dropped while its match's seats were being stored gets its `match.found` late (kept for it,
 * h89). Back, its client enters the queue again (the rooms client does it by itself, before it has read the late
 * frame), and the matchmaker matched it again with whoever waited: the player held seats in two matches and got two
 * `match.found`. Now a player is not matched while its match is being made, a queue it entered meanwhile is let go when
 * it is told, and an enqueue of the queue whose match it was told late is refused while that seat is held for it.
 *
 * The timing is made certain from the outside, as in h89: the server's own room party, extended by the test to store a
 * match's seats only once the test lets it (test/helpers/held-seat-store.ts).
 */
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import type { MatchFound, RoomsClient } from "../../rooms-client/index.js";
import { dropWhileStored } from "../helpers/held-seat-store.js";
import { adaComingBackLater, queued, storeHeldServer } from "./held-match.js";
import { waitFor } from "../helpers/server.js";
import { trackedClients } from "../helpers/tracked-websocket.js";
import { rawClient, type RawClient } from "./helpers.js";

const { WebSocket: TrackedWebSocket, sockets, clients } = trackedClients<RoomsClient>();

const matchFounds = (client: RawClient) => client.received.filter((envelope) => envelope.t === "match.found");

describe("a player whose match.found came late is not matched a second time", () => {
  it("rooms-client back after the store: its own enqueue again does not match it with a player who waits", async () => {
    const { server, storing, release, queue } = await storeHeldServer();
    const { ada, back } = await adaComingBackLater(server, { WebSocket: TrackedWebSocket, clients });
    const found: MatchFound[] = [];
    const first = new Promise<void>((resolve) =>
      ada.on((event) => {
        if (event.type !== "match.found") return;
        found.push(event.match);
        resolve();
      }),
    );
    await ada.enqueue("pair", 2);
    const bob = await queued(server, "bob");
    await dropWhileStored({ storing, queue }, () => sockets[0]!.terminate());
    release();
    const match = (await bob.expect("match.found")).p;

    const carl = await queued(server, "carl"); // waits: ada's client enqueues again as it comes back
    back();
    await waitFor(first, "ada's late match.found");
    expect(found).toEqual([match]);
    await ada.joinOrCreate("pair", { room: match.room }); // after the enqueue it sent as it came back
    const dave = await queued(server, "dave");
    // Before: ada's enqueue again matched her with carl (a second match.found, a second seat).
    expect((await carl.expect("match.found")).p.participants).toEqual(["carl", "dave"]);
    expect((await dave.expect("match.found")).p.participants).toEqual(["carl", "dave"]);
    expect(found).toEqual([match]);
  });

  it("back before the store was done: the queue it entered again is not matched, and is let go when it is told", async () => {
    const { server, storing, release, queue } = await storeHeldServer();
    const ada = await queued(server, "ada");
    const bob = await queued(server, "bob");
    await dropWhileStored({ storing, queue }, () => ada.client.close());

    const back = await queued(server, "ada"); // enqueued again, the match still being stored
    const carl = await queued(server, "carl");
    const letGo = once(queue, "closed");
    release();
    const match = (await bob.expect("match.found")).p;
    expect((await back.expect("match.found")).p).toEqual(match);
    await waitFor(letGo, "ada's queue entered again to be let go");
    expect((await back.request("matchmaking.dequeue", { room_type: "pair" })).dequeued).toBe(0);
    const dave = await queued(server, "dave");
    // Before: carl's enqueue matched him with ada's second ticket, and ada got two match.found.
    expect((await carl.expect("match.found")).p.participants).toEqual(["carl", "dave"]);
    expect(matchFounds(back)).toHaveLength(1);
    await dave.expect("match.found");
  });

  it("an enqueue of the queue whose match came late is refused until the player joins it", async () => {
    const { server, storing, release, queue } = await storeHeldServer();
    const ada = await queued(server, "ada");
    const bob = await queued(server, "bob");
    await dropWhileStored({ storing, queue }, () => ada.client.close());
    release();
    const match = (await bob.expect("match.found")).p;

    const back = rawClient(server);
    await back.handshake({ token: "dev:ada" });
    expect((await back.expect("match.found")).p).toEqual(match);
    const refused = await back.request("matchmaking.enqueue", { room_type: "pair", size: 2 });
    expect(refused).toMatchObject({ ok: false, room_type: "pair" });
    expect(refused.reason).toContain(`room "${match.room}"`);
    expect((await back.request("room.join_or_create", { room_type: "pair", room: match.room })).ok).toBe(true);
    expect((await back.request("matchmaking.enqueue", { room_type: "pair", size: 2 })).ok).toBe(true);
  });

  it("a queue the player entered before its match was made (another session of it) still waits once it is told", async () => {
    const { server, storing, release } = await storeHeldServer();
    const first = await queued(server, "ada");
    const second = await queued(server, "ada");
    const bob = await queued(server, "bob");
    await waitFor(storing, "the match's room to store the held seats");
    release();
    const match = (await bob.expect("match.found")).p;
    expect((await first.expect("match.found")).p).toEqual(match);
    // Only what the player entered while its match was being made is the match's.
    expect((await second.request("matchmaking.dequeue", { room_type: "pair" })).dequeued).toBe(1);
    expect(matchFounds(second)).toEqual([]);
  });
});
