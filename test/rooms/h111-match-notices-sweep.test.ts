/**
 * The match notices kept for players whose socket dropped as their match was stored (src/rooms/match-notices.ts) were
 * swept at every enqueue and every kept notice by walking all of them, a directory lookup each: with 2,000 held an
 * enqueue cost 0.3-0.7 ms of the event loop, and keeping 2,000 one after another 362 ms (bench/match-notices.ts).
 * Now those whose time is up go in the order of their times, a player's own are looked at by player, and a join drops
 * its notice at once. The work is counted, not timed (a loaded machine): directory lookups per operation, whatever is
 * held. And the sweep still does what it did: a notice whose seat's time is up goes, one whose seat is held stays.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { HeldSeats } from "../../src/rooms/held-seats.js";
import { type MatchNotice, MatchNotices } from "../../src/rooms/match-notices.js";
import { cleanupAll, deferred, waitFor } from "../helpers/server.js";
import { queued, storeHeldServer } from "./held-match.js";
import { rawClient, type RawClient } from "./helpers.js";

afterEach(async () => {
  vi.restoreAllMocks();
  vi.useRealTimers();
  await cleanupAll();
});

/** Counts the lookups of held seats (held-seats.ts, the directory's before: the methods this and earlier versions of the notices ask). */
function countLookups(): () => number {
  const spies = (["reservedFor", "reservation", "seatHeldUntil"] as const)
    .filter((method) => method in HeldSeats.prototype)
    .map((method) => vi.spyOn(HeldSeats.prototype, method));
  return () => spies.reduce((count, spy) => count + spy.mock.calls.length, 0);
}

const enqueue = (client: RawClient) => client.request("matchmaking.enqueue", { room_type: "pair", size: 2 });
const notice = (room: string): MatchNotice => ({ queue: "pair", roomType: "pair", room, frame: `{"t":"match.found","p":{"room":"${room}"}}` });

describe("the sweep of kept match notices", () => {
  it("a real server with 40 notices kept: an enqueue looks up no seat of theirs, a player back looks up its own", async () => {
    const { server, storing, release, queue } = await storeHeldServer();
    const names = Array.from({ length: 40 }, (_, index) => `p${index}`);
    const hold = MatchNotices.prototype.hold;
    const allKept = deferred();
    let kept = 0;
    vi.spyOn(MatchNotices.prototype, "hold").mockImplementation(function (this: MatchNotices, ...args) {
      hold.apply(this, args);
      if (++kept === names.length) allKept.resolve();
    });
    const first: RawClient[] = [];
    for (const name of names) first.push(await queued(server, name));
    await waitFor(storing, "the first match's room to store the held seats");
    let closed = 0;
    const allClosed = new Promise<void>((resolve) => queue.on("closed", () => ++closed === names.length && resolve()));
    await Promise.all(first.map((client) => client.client.close()));
    await waitFor(allClosed, "every session to let the queue go");
    release();
    await waitFor(allKept.promise, "a notice kept for each player");

    const lookups = countLookups();
    const zed = rawClient(server);
    await zed.handshake({ token: "dev:zed" });
    expect((await enqueue(zed)).ok).toBe(true);
    // Before: one lookup per notice held (40).
    expect(lookups()).toBe(0);

    const back = rawClient(server);
    await back.handshake({ token: "dev:p0" });
    const told = (await back.expect("match.found")).p;
    expect(told.participants).toContain("p0");
    expect(await enqueue(back)).toMatchObject({ ok: false, room_type: "pair" });
    // Its own notice, at the handshake and at the enqueue (before: every notice, at the enqueue).
    expect(lookups()).toBeLessThanOrEqual(2);
    expect((await back.request("room.join_or_create", { room_type: "pair", room: told.room })).ok).not.toBe(false);
    expect((await enqueue(back)).ok).toBe(true);
  });

  it("2,000 notices held: a notice or an enqueue looks up at most its own; those whose time is up go, the others stay", () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const seats = new HeldSeats();
    const notices = new MatchNotices(seats);
    const soon = Date.now() + 10_000;
    const later = soon + 20_000;
    // Every other match was made later: its seats are held longer.
    for (let index = 0; index < 2_000; index++) {
      seats.reserve("pair", `room${index}`, [`p${index}`], index % 2 === 0 ? soon : later);
      notices.hold(`p${index}`, notice(`room${index}`));
      if (index < 1_000) notices.listen(`p${index}`, () => true)(); // back, told late, not joined
    }
    expect(notices.size).toBe(2_000);

    const lookups = countLookups();
    seats.reserve("pair", "extra", ["extra"], later);
    notices.hold("extra", notice("extra"));
    expect(lookups()).toBeLessThanOrEqual(2);
    expect(notices.toldLate("somebody", "pair")).toBeUndefined();
    expect(notices.toldLate("p1", "pair")?.room).toBe("room1");
    // Before: 2,000 lookups for each.
    expect(lookups()).toBeLessThanOrEqual(4);

    // The earlier matches' time is up: their notices go at the next enqueue, the later ones' stay.
    vi.setSystemTime(soon);
    expect(notices.toldLate("p0", "pair")).toBeUndefined();
    expect(notices.size).toBe(1_001);
    expect(notices.toldLate("p999", "pair")?.room).toBe("room999");
    const back = vi.fn(() => true);
    notices.listen("p1001", back)();
    expect(back).toHaveBeenCalledWith(notice("room1001"));
    notices.listen("p1000", back)();
    expect(back).toHaveBeenCalledTimes(1);
    vi.setSystemTime(later);
    expect(notices.toldLate("p999", "pair")).toBeUndefined();
    expect(notices.size).toBe(0);
  });
});
