import { describe, expect, it } from "vitest";
import type { RoomsClient, RoomsClientEvent } from "../../rooms-client/index.js";
import { dropWhileStored } from "../helpers/held-seat-store.js";
import { adaComingBackLater, queued, storeHeldServer } from "./held-match.js";
import { waitFor } from "../helpers/server.js";
import { trackedClients } from "../helpers/tracked-websocket.js";
import { rawClient } from "./helpers.js";

const { WebSocket: TrackedWebSocket, sockets, clients } = trackedClients<RoomsClient>();

describe("rooms-client: its enqueue again refused as it comes back", () => {
  it("is told as an error naming the match, and the client no longer counts itself queued", async () => {
    const { server, storing, release, queue } = await storeHeldServer();
    const { ada: tab, back } = await adaComingBackLater(server, { WebSocket: TrackedWebSocket, clients });
    const events: RoomsClientEvent[] = [];
    const told = new Promise<void>((resolve) =>
      tab.on((event) => {
        events.push(event);
        if (event.type === "error") resolve();
      }),
    );
    await tab.enqueue("pair", 2);
    const other = rawClient(server); // ada's other tab: in no queue
    await other.handshake({ token: "dev:ada" });
    const bob = await queued(server, "bob");
    await dropWhileStored({ storing, queue }, () => sockets[0]!.terminate());
    release();
    const match = (await bob.expect("match.found")).p;
    expect((await other.expect("match.found")).p).toEqual(match); // the session with a socket is told

    back();
    // Before: the refusal was swallowed, nothing came, and the client still counted itself queued.
    await waitFor(told, "the tab's client to tell its enqueue again was refused");
    const error = events.find((event) => event.type === "error") as Extract<RoomsClientEvent, { type: "error" }>;
    expect(error.reason).toContain('no longer queued for "pair"');
    expect(error.reason).toContain(`room "${match.room}"`);
    expect(events.filter((event) => event.type === "match.found")).toEqual([]);
    // Not queued: a lost socket now does not enter it again (carl and dave are matched with each other).
    sockets[1]!.terminate();
    await waitFor(
      new Promise<void>((resolve) => tab.on((event) => event.type === "status" && event.status === "open" && resolve())),
      "the tab's client back again",
    );
    const carl = await queued(server, "carl");
    const dave = await queued(server, "dave");
    expect((await carl.expect("match.found")).p.participants).toEqual(["carl", "dave"]);
    await dave.expect("match.found");
  });
});
