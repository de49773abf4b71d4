/**
 * Adversarial matchmaker checks (helper 50): `maxPerSession` bounds the modes a session has a ticket in
 * (docs/game.md, Limits: "channels, and modes with a ticket, per session"); a ticket that is gone (removed or
 * matched) no longer holds a place.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupAll } from "../helpers/server.js";
import { defineMatch } from "../../src/game/index.js";
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
