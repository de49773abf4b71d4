/**
 * The kept match notices are swept in the order of their seats' times (match-notices.ts, a heap): one whose seat is
 * still held when its time comes is pushed back, due again at the seat's time. That time is asked of the directory,
 * which reads the clock again: a wall clock stepped back between the two reads (NTP) made a seat due by the sweep's
 * clock "still held" by the directory's, pushed back already due, and taken again, at once, until the wall clock caught
 * up with the seat's time: the event loop spun for as long as the clock went back. Now one due by the sweep's own
 * clock is dropped.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { HeldSeats } from "../../src/rooms/held-seats.js";
import { MatchNotices } from "../../src/rooms/match-notices.js";

afterEach(() => vi.restoreAllMocks());

describe("the sweep of kept match notices, the clock stepped back during it", () => {
  it("drops a notice due by the sweep's clock instead of taking it again and again", () => {
    const clock = vi.spyOn(Date, "now").mockReturnValue(1_000);
    const seats = new HeldSeats();
    const notices = new MatchNotices(seats);
    seats.reserve("pair", "r1", ["ada"], 1_100);
    notices.hold("ada", { queue: "pair", roomType: "pair", room: "r1", frame: "{}" });
    expect(notices.size).toBe(1);

    // The sweep reads 1,200; every read after it 1,050 (stepped back 150 ms). A spin reads it without end: cut short.
    let reads = 0;
    clock.mockImplementation(() => {
      if (++reads > 1_000) throw new Error("the sweep spins: it read the clock 1,000 times");
      return reads === 1 ? 1_200 : 1_050;
    });
    expect(notices.toldLate("ada", "pair")).toBeUndefined();
    expect(reads).toBeLessThan(10);
  });
});
