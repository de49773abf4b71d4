/** `formGroup`, the matchmaking core: groups that fit pairwise, oldest tickets first, bounded work. */
import { describe, expect, it } from "vitest";
import { formGroup, SEARCH_PASS_CHECKS, SearchPass } from "../../src/rooms/matchmaking.js";

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
    // every pair would check ~n³ triples (and the pick of each anchor's fitting tickets n²).
    const pool = tickets(...Array.from({ length: 2_000 }, (_, i) => i % 2));
    let calls = 0;
    const fits = (a: T, b: T) => (calls++, a.skill !== b.skill);
    const pass = new SearchPass();
    expect(formGroup(pool, 3, fits, 0, pass)).toBeUndefined();
    expect(calls).toBeLessThanOrEqual(SEARCH_PASS_CHECKS + 2 * pool.length); // the pass's checks, and one anchor past them
    expect(pass.at).toBeGreaterThan(0);
    expect(pass.at).toBeLessThan(pool.length - 2); // it stopped for lack of checks, and says where
  });

  it("passes go on where the last one stopped: a group at the end of a 3,000-ticket pool is found in bounded passes", () => {
    // Skills 15 apart with a window of 100: seven fit pairwise, never eight, until the last eight (1 apart).
    const skillsInPool = Array.from({ length: 3_000 }, (_, i) => (i < 2_992 ? i * 15 : 100_000 + i));
    const pool = tickets(...skillsInPool);
    let calls = 0;
    const fits = (a: T, b: T) => (calls++, Math.abs(a.skill - b.skill) <= 100);
    let from = 0;
    let found: T[] | undefined;
    let passes = 0;
    while (!found && passes < 100) {
      calls = 0;
      const pass = new SearchPass(from);
      found = formGroup(pool, 8, fits, 0, pass);
      expect(calls).toBeLessThanOrEqual(SEARCH_PASS_CHECKS + 8 * pool.length);
      from = pass.at;
      passes++;
    }
    expect(found?.map((ticket) => ticket.player)).toEqual(Array.from({ length: 8 }, (_, i) => `p${2_992 + i}`));
    expect(passes).toBeGreaterThan(1); // the whole pool is ~4.5M checks: more than one pass
  });
});
