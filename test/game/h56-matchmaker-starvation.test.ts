/**
 * h56 (adversarial): the bounded recheck passes. A pass that runs out of checks in the middle of an anchor gives
 * that anchor its greedy pick only, and the next pass starts at the anchor after it. In a pool that does not change,
 * the passes cycle through the same cuts, so an anchor whose only group needs backtracking, and that is where the
 * pass from the start of the pool runs out, is never given its backtracking: its group is never matched.
 * (h56 also showed that a pass resumed mid-pool can match a younger group before the oldest ticket's: a pool larger
 * than one pass is not strictly oldest first, as docs/game.md now says; the bound on the work is the point.)
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupAll } from "../helpers/server.js";
import { defineMatch, type MatchRule } from "../../src/game/index.js";
import { SEARCH_PASS_CHECKS } from "../../src/rooms/matchmaking.js";
import { players, startGame } from "./helpers.js";

afterEach(cleanupAll);

const plain = defineMatch({ tickRate: 20, init: () => ({}) });

describe("h56 matchmaker recheck passes", () => {
  it("a group the greedy pick misses, anchored where the pass from the pool's start runs out of checks, is matched by a later pass", async () => {
    const POOL = 500;
    // Each anchor's pick of the tickets after it costs (POOL - anchor - 1) checks; fillers have no candidates.
    // The pass from anchor 0 has 3 checks left when it reaches anchor 277 (100,000 - 99,997).
    let anchor = 0;
    for (let spent = 0; spent + (POOL - anchor - 1) < SEARCH_PASS_CHECKS; anchor++) spent += POOL - anchor - 1;
    expect(anchor).toBe(277);
    // K (0), X (-10), Y (5), Z (10), window 10: the greedy pick K, X fails (X fits none of Y, Z); K, Y, Z fits.
    const late = new Map<number, number>([
      [anchor, 0],
      [anchor + 1, -10],
      [anchor + 2, 5],
      [anchor + 3, 10],
    ]);
    let open = false;
    const passesSinceOpen = new Set<number>();
    const rule: MatchRule = (a, b, now) => {
      if (open) passesSinceOpen.add(now);
      if (a.properties.filler || b.properties.filler) return false;
      // The four fit only once the test opens the rule (as a widening window would), so the adds match nothing.
      return open && Math.abs((a.properties.skill as number) - (b.properties.skill as number)) <= 10;
    };
    const server = await startGame({
      matches: { plain },
      modes: { threes: { size: 3, match: "plain", rules: [rule], recheckMs: 10 } },
    });
    const clients = await players(server, ...Array.from({ length: POOL }, (_, i) => `p${i}`));
    for (let i = 0; i < POOL; i++) {
      const properties = late.has(i) ? { skill: late.get(i)! } : { filler: true };
      const answer = await clients[i]!.request("matchmaker.add", { mode: "threes", properties });
      expect(answer.type).toBe("matchmaker.add");
    }
    open = true;
    // Hundreds of passes (one every 10 ms) over a pool that no longer changes: the cursor wraps many times.
    const matched = await clients[anchor]!.expect("matchmaker.matched", undefined, 8_000);
    expect(passesSinceOpen.size).toBeGreaterThan(0);
    expect([...matched.payload.players].sort()).toEqual([`p${anchor}`, `p${anchor + 2}`, `p${anchor + 3}`].sort());
  }, 90_000);
});
