/**
 * Two rooms servers in one process (two `createRooms`, not given one `matchmaking`) share nothing of their
 * matchmaking: a notice kept on one for a player whose socket dropped as its match was stored is not told on the
 * other, nor does it refuse that player's enqueue there, and the other's listings are its own (no module-level state).
 */
import { afterEach, describe, expect, it } from "vitest";
import { dropWhileStored } from "../helpers/held-seat-store.js";
import { cleanupAll } from "../helpers/server.js";
import { queued, storeHeldServer } from "./held-match.js";
import { rawClient } from "./helpers.js";

afterEach(cleanupAll);

describe("two rooms servers in one process", () => {
  it("a match and its kept notice on one are nothing to the other", async () => {
    const one = await storeHeldServer();
    const other = await storeHeldServer();
    other.release(); // the other's matches store at once
    const ada = await queued(one.server, "ada");
    const bob = await queued(one.server, "bob");
    await dropWhileStored(one, () => ada.client.close());
    one.release();
    const found = (await bob.expect("match.found")).p;

    // On the first server ada is told when back; on the other she is a stranger to it.
    const elsewhere = await queued(other.server, "ada");
    expect((await elsewhere.request("room.list", {})).rooms).toEqual([]);
    const carl = await queued(other.server, "carl");
    const matched = (await elsewhere.expect("match.found")).p;
    expect(matched.participants).toEqual(expect.arrayContaining(["ada", "carl"]));
    expect(matched.room).not.toBe(found.room);
    expect((await carl.expect("match.found")).p).toEqual(matched);
    expect(elsewhere.received.filter((envelope) => envelope.t === "match.found")).toHaveLength(1);

    const back = rawClient(one.server);
    await back.handshake({ token: "dev:ada" });
    expect((await back.expect("match.found")).p).toEqual(found);
  });
});
