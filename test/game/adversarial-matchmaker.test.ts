/**
 * Adversarial matchmaker checks (helper 50): `maxPerSession` bounds the modes a session has a ticket in
 * (docs/game.md, Limits: "channels, and modes with a ticket, per session"); a ticket that is gone (removed or
 * matched) no longer holds a place.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupAll } from "../helpers/server.js";
import { defineMatch, within } from "../../src/game/index.js";
import { players, startGame } from "./helpers.js";

afterEach(cleanupAll);

const plain = defineMatch({ tickRate: 20, init: () => ({}) });
const MODES = { a: { size: 2, match: "plain" }, b: { size: 2, match: "plain" } };

describe("maxPerSession counts modes with a ticket", () => {
  it("a removed ticket frees its mode's place: a ticket in another mode is taken", async () => {
    const server = await startGame({ matches: { plain }, modes: MODES, limits: { maxPerSession: 1 } });
    const [ada] = await players(server, "ada");
    const added = await ada.request("matchmaker.add", { mode: "a", properties: {} });
    expect(added.type).toBe("matchmaker.add");
    expect((await ada.request("matchmaker.remove", { ticket_id: added.payload.ticket_id })).type).toBe("matchmaker.remove");
    // ada has no ticket in any mode now.
    expect(await ada.request("matchmaker.add", { mode: "b", properties: {} })).toMatchObject({
      type: "matchmaker.add",
      payload: { ticket_id: expect.any(String) },
    });
  });

  it("a matched ticket frees its mode's place: the player may queue in another mode", async () => {
    const server = await startGame({ matches: { plain }, modes: MODES, limits: { maxPerSession: 1 } });
    const [ada, bob] = await players(server, "ada", "bob");
    await ada.request("matchmaker.add", { mode: "a", properties: {} });
    await bob.request("matchmaker.add", { mode: "a", properties: {} });
    await ada.expect("matchmaker.matched");
    expect(await ada.request("matchmaker.add", { mode: "b", properties: {} })).toMatchObject({
      type: "matchmaker.add",
      payload: { ticket_id: expect.any(String) },
    });
  });
});

describe("groups that fit pairwise", () => {
  it("size 3, skill window 100: of 0, -100, 50, 100 (in that order), 0, 50 and 100 fit pairwise and are matched", async () => {
    const server = await startGame({
      matches: { plain },
      modes: { trio: { size: 3, match: "plain", rules: [within("skill", { window: 100 })], recheckMs: 20 } },
    });
    const [ada, bob, cy, dan] = await players(server, "ada", "bob", "cy", "dan");
    await ada.request("matchmaker.add", { mode: "trio", properties: { skill: 0 } });
    await bob.request("matchmaker.add", { mode: "trio", properties: { skill: -100 } }); // fits ada only
    await cy.request("matchmaker.add", { mode: "trio", properties: { skill: 50 } });
    await dan.request("matchmaker.add", { mode: "trio", properties: { skill: 100 } });
    // ada (0), cy (50) and dan (100) are at most 100 apart pairwise: "size tickets whose properties fit every rule
    // pairwise form a match" (docs/game.md, Matchmaker), and ada's is the oldest ticket.
    const matched = await ada.expect("matchmaker.matched", undefined, 2_000);
    expect([...matched.payload.players].sort()).toEqual(["ada", "cy", "dan"]);
  });
});

describe("ticket properties", () => {
  it("a property name of more than 64 characters, or none, is answered error; 64 is taken", async () => {
    const server = await startGame({ matches: { plain }, modes: MODES });
    const [ada] = await players(server, "ada");
    for (const name of ["x".repeat(65), ""]) {
      const answer = await ada.request("matchmaker.add", { mode: "a", properties: { [name]: 1 } });
      expect(answer, `a name of ${name.length}`).toMatchObject({
        type: "error",
        payload: { reason: expect.stringMatching(/property name has 1 to 64 characters/) },
      });
    }
    expect((await ada.request("matchmaker.add", { mode: "a", properties: { ["x".repeat(64)]: 1 } })).type).toBe("matchmaker.add");
  });
});
