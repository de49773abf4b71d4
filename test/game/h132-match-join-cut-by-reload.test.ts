/**
 * A `match.join` under way when the server's code is reloaded (`yparty dev`'s rebuild; here `server.reload` with a new
 * `createGame`, the sessions kept) was answered `error` ("could not be joined (1012 Server code reloaded)"): the client
 * had to send it again. The seat now joins the match's next instance, on the reloaded code, and the join is answered
 * from there, as a seat already joined is taken again (the rooms protocol's join alike: rooms/h132-join-cut-by-reload).
 */
import { afterEach, describe, expect, it } from "vitest";
import { createGame, defineMatch, GameSessions, MatchmakingState } from "../../src/game/index.js";
import { matchPartyName } from "../../src/game/parties.js";
import type { PartyModule } from "../../src/runtime/index.js";
import { cleanupAll, deferred, onCleanup, startServer, waitFor } from "../helpers/server.js";
import { gameClient } from "./helpers.js";

afterEach(cleanupAll);

type MatchParty = new (...args: any[]) => { onStart(): Promise<void> };

describe("a match.join cut by a reload", () => {
  it("is answered match.join once the match's next instance took the player", async () => {
    const arena = defineMatch({ tickRate: 10, init: () => ({}) });
    const [matchmaking, sessions] = [new MatchmakingState(), new GameSessions()];
    const first = createGame({ matches: { arena }, matchmaking, sessions });
    // The first code's match room waits in its start (a slow read) until the test lets it go: the join is under way.
    const starting = deferred();
    const gate = deferred();
    onCleanup(() => gate.resolve());
    const Match = first.parties[matchPartyName("arena")] as unknown as MatchParty;
    const parties: Record<string, PartyModule> = {
      ...first.parties,
      [matchPartyName("arena")]: class extends Match {
        override async onStart(): Promise<void> {
          starting.resolve();
          await gate.promise;
          return super.onStart();
        }
      } as unknown as PartyModule,
    };
    const server = await startServer(parties, { storage: "memory", sockets: first.sockets, routes: first.routes });
    const ada = gameClient(server);
    await ada.connect("ada");
    const answer = ada.request("match.join", { match_id: "m1.arena" });
    await waitFor(starting.promise, "the match room's start");

    const next = createGame({ matches: { arena }, matchmaking, sessions });
    next.serve();
    await server.server.reload(next.parties);
    // Before: error "match "m1.arena" could not be joined (1012 Server code reloaded)".
    expect(await answer).toMatchObject({ type: "match.join", payload: { match_id: "m1.arena" } });
    expect(ada.received.filter((message) => message.type === "error")).toEqual([]);
    expect((await ada.request("match.join", { match_id: "m1.arena" })).type).toBe("match.join"); // in it
  });
});
