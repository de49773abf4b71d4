/** `formGroup`, the matchmaking core: groups that fit pairwise, oldest tickets first, bounded work. */
import { describe, expect, it } from "vitest";
import { formGroup } from "../../src/rooms/matchmaking.js";

interface T {
  player: string;
  since: number;
  skill: number;
}
const tickets = (...skills: number[]): T[] => skills.map((skill, i) => ({ player: `p${i}`, since: i, skill }));
const within = (window: number) => (a: T, b: T) => Math.abs(a.skill - b.skill) <= window;
const skills = (group: T[] | undefined) => group?.map((ticket) => ticket.skill);

describe("formGroup", () => {
  it("finds a group the greedy pick misses: of 0, -100, 50, 100 (window 100), 0, 50 and 100", () => {
    expect(skills(formGroup(tickets(0, -100, 50, 100), 3, within(100)))).toEqual([0, 50, 100]);
  });

  it("prefers the oldest tickets: the greedy pick when it fits", () => {
    expect(skills(formGroup(tickets(0, 10, 20, 30), 3, within(100)))).toEqual([0, 10, 20]);
  });

  it("no group: undefined; one player's two tickets are not a group", () => {
    expect(formGroup(tickets(0, 500, 1000), 2, within(100))).toBeUndefined();
    expect(
      formGroup(
        [
          { player: "a", since: 0, skill: 0 },
          { player: "a", since: 1, skill: 0 },
        ],
        2,
        within(100),
      ),
    ).toBeUndefined();
  });

  it("stays bounded for a large pool where many pairs fit but no group does", () => {
    // Players of two teams, each fitting only the other team: no three fit pairwise, and an unbounded search of
    // every pair would check ~n³ triples.
    const pool = tickets(...Array.from({ length: 2_000 }, (_, i) => i % 2));
    let calls = 0;
    const fits = (a: T, b: T) => (calls++, a.skill !== b.skill);
    expect(formGroup(pool, 3, fits)).toBeUndefined();
    expect(calls).toBeLessThan(10_000_000); // the greedy pick's n² and the budget
  });
});
