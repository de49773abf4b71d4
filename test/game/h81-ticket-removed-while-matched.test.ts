/**
 * A ticket removed just as the matchmaker matched it: the remove was answered by the session, which had not heard of
 * the match yet, so the player was told both "removed" (`matchmaker.remove`) and `matchmaker.matched` for the same
 * ticket, and the other players were matched with one who believed it had left the queue. The matchmaker, which
 * alone knows, answers the remove now: a ticket it matched already is answered `error` (as Nakama answers "ticket not
 * found" once its matchmaker took it), and `matchmaker.matched` follows; a remove it did take is never matched.
 */
import { afterEach, describe, expect, it } from "vitest";
import { defineMatch } from "../../src/game/index.js";
import { cleanupAll } from "../helpers/server.js";
import { players, startGame, type Message } from "./helpers.js";

afterEach(cleanupAll);

const duel = defineMatch({ tickRate: 20, maxPlayers: 2, init: () => ({}) });

describe("matchmaker.remove racing the match", () => {
  it("is answered error when the ticket was matched, and matchmaker.matched follows; else removed and never matched", async () => {
    const server = await startGame({ matches: { duel }, modes: { duel: { size: 2, match: "duel" } }, server: { storage: "leveldb" } });
    for (let round = 0; round < 5; round++) {
      const [ada, bob] = await players(server, `ada${round}`, `bob${round}`);
      await ada!.request("matchmaker.add", { mode: "duel", properties: {} });
      // bob's ticket makes the match; his remove follows it at once, before the session heard of the match.
      const added = await bob!.request("matchmaker.add", { mode: "duel", properties: {} });
      const removed = await bob!.request("matchmaker.remove", { ticket_id: added.payload.ticket_id });
      const adaMatched = await ada!.expect("matchmaker.matched");
      expect(removed).toMatchObject({ type: "error", payload: { reason: expect.stringMatching(/matched/) } });
      const bobMatched: Message = await bob!.expect("matchmaker.matched");
      expect(bobMatched.payload).toMatchObject({ match_id: adaMatched.payload.match_id, ticket_id: added.payload.ticket_id });
      for (const client of [ada!, bob!]) client.client.close();
    }
  });

  it("a removed ticket that was still waiting is never matched", async () => {
    const server = await startGame({ matches: { duel }, modes: { duel: { size: 2, match: "duel" } }, server: { storage: "leveldb" } });
    const [ada, bob, carl] = await players(server, "ada", "bob", "carl");
    const added = await ada!.request("matchmaker.add", { mode: "duel", properties: {} });
    expect(await ada!.request("matchmaker.remove", { ticket_id: added.payload.ticket_id })).toMatchObject({ type: "matchmaker.remove" });
    await bob!.request("matchmaker.add", { mode: "duel", properties: {} });
    await carl!.request("matchmaker.add", { mode: "duel", properties: {} });
    expect((await bob!.expect("matchmaker.matched")).payload.players).toEqual(["bob", "carl"]);
    expect(ada!.received.filter((message) => message.type === "matchmaker.matched")).toEqual([]);
  });
});
