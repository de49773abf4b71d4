/**
 * A player whose socket dropped in the few milliseconds while its match's room stored the held seats (the players are
 * told only after, match-seats.ts) lost its `match.found`: the matchmaker sent it down a link its session had let go.
 * Back with the same token (a resume, or a new session), it was never told, while its seat stayed held for 30 s and
 * the others waited for it in the room. The frame is now kept for the player and sent once it has a socket again.
 *
 * The drop is made certain from the outside: the room party is the server's own, extended by the test to wait in its
 * stub request (the seats' store) until the test lets it go, and the matchmaker to say when it saw the link close.
 */
import type { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import type { MatchFound, RoomsClient } from "../../rooms-client/index.js";
import { dropWhileStored } from "../helpers/held-seat-store.js";
import { adaComingBackLater, storeHeldServer } from "./held-match.js";
import { waitFor, type TestServer } from "../helpers/server.js";
import { trackedClients } from "../helpers/tracked-websocket.js";
import { rawClient, type RawClient } from "./helpers.js";

/** The typed clients' sockets, so a test can cut one (and the servers and clients closed after each test). */
const { WebSocket: TrackedWebSocket, sockets, clients } = trackedClients<RoomsClient>();

async function player(server: TestServer, name: string, p: Record<string, unknown> = {}): Promise<{ client: RawClient; ok: Record<string, any> }> {
  const client = rawClient(server);
  const ok = await client.handshake({ token: `dev:${name}`, ...p });
  return { client, ok };
}

/** ada and bob enqueue for a match of two; ada's socket closes while its seats are stored (the session's link closed). */
async function adaDropsWhileStored(storing: Promise<void>, queue: EventEmitter, ada: RawClient, bob: RawClient) {
  for (const client of [ada, bob]) expect((await client.request("matchmaking.enqueue", { room_type: "pair", size: 2 })).ok).toBe(true);
  await dropWhileStored({ storing, queue }, () => ada.client.close());
}

describe("match.found for a player whose socket dropped as the match was stored", () => {
  it("reaches the player's new session (same token) after the store", async () => {
    const { server, storing, release, queue } = await storeHeldServer();
    const ada = await player(server, "ada");
    const bob = await player(server, "bob");
    await adaDropsWhileStored(storing, queue, ada.client, bob.client);
    release();
    const found = (await bob.client.expect("match.found")).p;
    expect(found.participants).toEqual(["ada", "bob"]);

    const back = await player(server, "ada");
    expect(back.ok.resumed).toBe(false);
    // Before: nothing came, and the seat held for ada expired with bob alone in the room.
    expect((await back.client.expect("match.found", () => true, 2_000)).p).toEqual(found);
    expect((await back.client.request("room.join_or_create", { room_type: "pair", room: found.room })).ok).toBe(true);
    expect((await bob.client.request("room.join_or_create", { room_type: "pair", room: found.room })).ok).toBe(true);
    // Told once: a later socket of ada's is not told again (the seat is taken).
    const later = await player(server, "ada");
    await later.client.request("room.list", {});
    expect(later.client.received.filter((envelope) => envelope.t === "match.found")).toEqual([]);
  });

  it("reaches the player's new socket at once when it came back before the store was done", async () => {
    const { server, storing, release, queue } = await storeHeldServer();
    const ada = await player(server, "ada");
    const bob = await player(server, "bob");
    await adaDropsWhileStored(storing, queue, ada.client, bob.client);
    const back = await player(server, "ada");
    release();
    const found = (await bob.client.expect("match.found")).p;
    expect((await back.client.expect("match.found", () => true, 2_000)).p).toEqual(found);
  });

  it("reaches a resumed session (session_id), after handshake.ok", async () => {
    const { server, storing, release, queue } = await storeHeldServer();
    const ada = await player(server, "ada");
    const bob = await player(server, "bob");
    // In a room, ada's session outlives its socket: she resumes it.
    expect((await ada.client.request("room.join_or_create", { room_type: "pair", room: "lobby" })).ok).toBe(true);
    await adaDropsWhileStored(storing, queue, ada.client, bob.client);
    release();
    const found = (await bob.client.expect("match.found")).p;

    const back = await player(server, "ada", { session_id: ada.ok.session_id });
    expect(back.ok).toMatchObject({ resumed: true, rooms: [{ room: "lobby", room_type: "pair" }] });
    expect((await back.client.expect("match.found", () => true, 2_000)).p).toEqual(found);
    expect(back.client.received.findIndex((envelope) => envelope.t === "match.found")).toBeGreaterThan(
      back.client.received.findIndex((envelope) => envelope.t === "handshake.ok"),
    );
  });
});

describe("rooms-client: back after its socket dropped as its match was stored", () => {
  /** ada's client (its reconnects wait for `back`), and its first match.found event. */
  async function typedAda(server: TestServer): Promise<{ client: RoomsClient; found: Promise<MatchFound>; back(): void }> {
    const { ada: client, back } = await adaComingBackLater(server, { WebSocket: TrackedWebSocket, clients });
    const found = new Promise<MatchFound>((resolve) => client.on((event) => event.type === "match.found" && resolve(event.match)));
    return { client, found, back };
  }

  /** The matchmaker saw the link of session `id()` (asked as it closes) close. */
  function linkClosed(queue: EventEmitter, id: () => string | undefined): Promise<void> {
    return new Promise((resolve) => queue.on("closed", (closed: string) => closed === id() && resolve()));
  }

  /** ada (typed) and bob (raw) enqueue; ada's socket is cut while the seats are stored, her reconnect waits for `back`. */
  async function cutWhileStored() {
    const { server, storing, release, queue } = await storeHeldServer();
    const ada = await typedAda(server);
    const back = ada.back;
    const bob = await player(server, "bob");
    await ada.client.enqueue("pair", 2);
    expect((await bob.client.request("matchmaking.enqueue", { room_type: "pair", size: 2 })).ok).toBe(true);
    await dropWhileStored({ storing, queue }, () => sockets[0]!.terminate()); // the network goes
    return { server, release, queue, back, ada, bob };
  }

  it("back after the store: the match.found event, and not in the queue again", async () => {
    const { release, queue, back, ada, bob } = await cutWhileStored();
    release();
    const found = (await bob.client.expect("match.found")).p;
    const requeued: string[] = [];
    queue.on("message", (message: string) => message.includes('"player":"ada"') && requeued.push(message));
    back();
    expect(await waitFor(ada.found, "ada's match.found event")).toEqual(found);
    // It enqueues again as it comes back (it had waited in the queue), before it reads match.found: the session refuses
    // that (h102), as a second match would hold a second seat.
    await ada.client.joinOrCreate("pair", { room: found.room });
    expect(requeued).toEqual([]);
  });

  it("back before the store was done: the match.found event, and out of the queue it entered again", async () => {
    const { release, queue, back, ada, bob } = await cutWhileStored();
    const requeued = new Promise<void>((resolve) => queue.on("message", (message: string) => message.includes('"player":"ada"') && resolve()));
    back();
    await waitFor(requeued, "ada's client to enqueue again");
    const left = linkClosed(queue, () => ada.client.sessionId);
    release();
    const found = (await bob.client.expect("match.found")).p;
    expect(await waitFor(ada.found, "ada's match.found event")).toEqual(found);
    await waitFor(left, "ada's queue entered again to be left");
  });
});
