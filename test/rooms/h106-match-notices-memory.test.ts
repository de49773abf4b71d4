/**
 * What the match notices hold (src/rooms/match-notices.ts), with the held seats a rooms mount gives them: a notice kept
 * for a player who never comes back, and one told late, go once their seat is no longer held (joined, or its time up),
 * at the next notice or enqueue (`hold`, `toldLate`); so what is held is bounded by the seats held, not by the players
 * ever told late. And a player whose seat went is not refused.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { HeldSeats } from "../../src/rooms/held-seats.js";
import { MatchNotices, type MatchNotice } from "../../src/rooms/match-notices.js";

const notice = (room: string): MatchNotice => ({ queue: "pair", roomType: "pair", room, frame: `{"t":"match.found","p":{"room":"${room}"}}` });

afterEach(() => {
  vi.useRealTimers();
});

describe("match notices' memory", () => {
  it("2,000 players told late or never back: all swept once their seats go, by a join or by time", () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const seats = new HeldSeats();
    const notices = new MatchNotices(seats);
    const until = Date.now() + 30_000;
    const players = Array.from({ length: 2_000 }, (_, index) => `p${index}`);
    for (const [index, player] of players.entries()) {
      seats.reserve("pair", `room${index}`, [player], until);
      notices.hold(player, notice(`room${index}`));
    }
    expect(notices.size).toBe(2_000);
    // Half come back: told late (kept as told while the seat is held), and refused an enqueue of the queue.
    for (const player of players.slice(0, 1_000)) notices.listen(player, () => true)();
    expect(notices.size).toBe(2_000);
    expect(notices.toldLate("p0", "pair")?.room).toBe("room0");
    // A player who joins frees its own at once (for the refusal), and the rest at the next sweep.
    seats.arrived("pair", "room0", "p0");
    expect(notices.toldLate("p0", "pair")).toBeUndefined();
    expect(notices.size).toBe(1_999);
    for (const [index, player] of players.slice(0, 500).entries()) seats.arrived("pair", `room${index}`, player);
    notices.toldLate("anyone", "pair");
    expect(notices.size).toBe(1_500);
    // The others' seats run out: nothing kept after the next sweep, and no one refused.
    vi.setSystemTime(until);
    expect(notices.toldLate("p999", "pair")).toBeUndefined();
    expect(notices.size).toBe(0);
  });
});
