/**
 * The matchmaker's work per ticket stays linear in the pool: a new ticket is searched with the tickets that fit it,
 * not the whole pool again (helper 55 measured ~2M rule checks, 60–75 ms of one thread, per `matchmaker.add` to
 * 1,000 waiting tickets in groups of 8); the recheck is bounded too (test/rooms/form-group.test.ts).
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupAll } from "../helpers/server.js";
import { defineMatch, within, type MatchRule } from "../../src/game/index.js";
import { SEARCH_PASS_CHECKS } from "../../src/rooms/matchmaking.js";
import { players, startGame } from "./helpers.js";

afterEach(cleanupAll);

const plain = defineMatch({ tickRate: 20, init: () => ({}) });
const WAITING = 300;

describe("matchmaker work per ticket", () => {
  it(`adding a ticket to ${WAITING} waiting ones checks each of them about once, and still matches its group`, async () => {
    let checks = 0;
    const skill = within("skill", { window: 100 });
    const counted: MatchRule = (a, b, now) => (checks++, skill(a, b, now));
    const server = await startGame({
      matches: { plain },
      // A recheck an hour away: only the adds do work here.
      modes: { eights: { size: 8, match: "plain", rules: [counted], recheckMs: 3_600_000 } },
    });
    const clients = await players(server, ...Array.from({ length: WAITING + 1 }, (_, i) => `p${i}`));
    // Skills 15 apart: seven fit pairwise, never eight. Nobody is matched.
    for (let i = 0; i < WAITING; i++) await clients[i]!.request("matchmaker.add", { mode: "eights", properties: { skill: i * 15 } });
    checks = 0;
    // The last one fits between the first seven (skills 0–90): those eight fit pairwise.
    await clients[WAITING]!.request("matchmaker.add", { mode: "eights", properties: { skill: 45 } });
    const matched = await clients[WAITING]!.expect("matchmaker.matched");
    expect([...matched.payload.players].sort()).toEqual([...Array.from({ length: 7 }, (_, i) => `p${i}`), `p${WAITING}`].sort());
    // Before: every anchor's pick of the tickets that fit it, ~n²/2 = 45,000 checks.
    expect(checks).toBeLessThan(3 * WAITING);
  }, 60_000);

  it("a recheck of 1,000 waiting tickets is bounded passes that go on where the last stopped: a group that fits late, last in the pool, is matched", async () => {
    const POOL = 1_000;
    const checksAt = new Map<number, number>(); // by the pass's `now`: one pass, one `now`
    let lateFromNow = Number.POSITIVE_INFINITY;
    const skill = within("skill", { window: 100 });
    // The "late" tickets fit each other only once the test says so (a rule that widens); the others by skill.
    const rule: MatchRule = (a, b, now) => {
      checksAt.set(now, (checksAt.get(now) ?? 0) + 1);
      if (a.properties.late || b.properties.late) return a.properties.late === b.properties.late && now >= lateFromNow;
      return skill(a, b, now);
    };
    const server = await startGame({
      matches: { plain },
      modes: { eights: { size: 8, match: "plain", rules: [rule], recheckMs: 20 } },
    });
    const clients = await players(server, ...Array.from({ length: POOL + 8 }, (_, i) => `p${i}`));
    for (let i = 0; i < POOL; i++) await clients[i]!.request("matchmaker.add", { mode: "eights", properties: { skill: i * 15 } });
    for (let i = POOL; i < POOL + 8; i++) await clients[i]!.request("matchmaker.add", { mode: "eights", properties: { late: true } });
    checksAt.clear();
    lateFromNow = Date.now();
    const matched = await clients[POOL]!.expect("matchmaker.matched", undefined, 20_000);
    expect([...matched.payload.players].sort()).toEqual(Array.from({ length: 8 }, (_, i) => `p${POOL + i}`).sort());
    // Each pass's checks are bounded (one whole pass over the pool would be ~500,000): a pass reaches ~100 anchors
    // from where it starts, so the late group, anchored past the 1,000th ticket, is found only because passes go on
    // where the last one stopped.
    expect(Math.max(...checksAt.values())).toBeLessThanOrEqual(SEARCH_PASS_CHECKS + 8 * (POOL + 8));
  }, 60_000);
});
