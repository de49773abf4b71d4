/**
 * A player who leaves a room while its join is still running (the client gave it up: `room.leave`, or its socket
 * dropped and the resumed client leaves the room it no longer knows), and then the room stops for a reload
 * (`yparty dev`'s rebuild; here `server.reload` with a new `createRooms`, the sessions kept). The stopped instance took
 * every join that settled after its stop as cut by the stop (h139): its `onJoin` ran, or was even started after the
 * stop, and no `onLeave` ever came, as if the player had gone on in the next instance; one whose `onJoin` was running
 * at the stop also got its seat kept there, counted in `room.list` (and ended by an `onLeave` of a player the next
 * instance never saw join). Found by the listing model at H136_RELOADS=0.5 under load (seed 326: a room's logic held a
 * player nobody had in it). A join whose connection the player closed before the stop is the player leaving: no onJoin
 * in a stopped instance, an `onLeave` for one that ran, and no seat kept.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createRooms, defineRoomType, MatchmakingState, RoomsSessions, type RoomType } from "../../src/rooms/index.js";
import { cleanupAll, deferred, startServer, type TestServer } from "../helpers/server.js";
import { rawClient, type RawClient } from "./helpers.js";

afterEach(cleanupAll);

/** A room type whose version 1 waits in `hook` (onCreate or onJoin) for `gate`; its hooks are logged as `hook player@version`. */
function setUp(hook: "onCreate" | "onJoin") {
  const log: string[] = [];
  const entered = deferred();
  const gate = deferred();
  const settled = deferred();
  const wait = async (version: number, at: string): Promise<void> => {
    if (version !== 1 || at !== hook) return;
    entered.resolve();
    await gate.promise;
    settled.resolve();
  };
  const hall = (version: number): RoomType<any> =>
    defineRoomType<{ players: string[] }>({
      maxClients: 4,
      async onCreate() {
        this.state = { players: [] };
        await wait(version, "onCreate");
      },
      async onJoin(player) {
        log.push(`onJoin ${player}@${version}`);
        await wait(version, "onJoin");
        this.state.players.push(player);
      },
      onLeave(player) {
        log.push(`onLeave ${player}@${version}`);
        this.state.players = this.state.players.filter((name) => name !== player);
      },
    });
  const [matchmaking, sessions] = [new MatchmakingState(), new RoomsSessions()];
  const mount = (version: number) => createRooms({ types: { hall: hall(version) }, matchmaking, sessions });
  let server!: TestServer;
  return {
    log,
    entered,
    gate,
    settled,
    async start(): Promise<RawClient> {
      const first = mount(1);
      server = await startServer(first.parties, { storage: "leveldb", sockets: first.sockets });
      const ada = rawClient(server);
      await ada.handshake({ token: "dev:ada" });
      return ada;
    },
    async reload(version: number): Promise<void> {
      const next = mount(version);
      next.serve();
      await server.server.reload(next.parties);
    },
    client: () => rawClient(server),
  };
}

describe("a player who left a join before the room stopped", () => {
  it("its onCreate running at the stop: no onJoin in the stopped instance", async () => {
    const run = setUp("onCreate");
    const ada = await run.start();
    const answer = ada.request("room.join_or_create", { room_type: "hall", room: "h" });
    await run.entered.promise;
    const left = await ada.request("room.leave", { room: "h" });
    expect(left).toMatchObject({ ok: true });
    expect(await answer).toMatchObject({ ok: false, reason: expect.stringMatching(/left before the join was done/) });
    await run.reload(2);
    run.gate.resolve(); // version 1's onCreate settles after its instance stopped
    await run.settled.promise;
    // The room is joined again in version 2: version 1's join is done by then (one at a time per player).
    expect(await ada.request("room.join_or_create", { room_type: "hall", room: "h" })).toMatchObject({ ok: true });
    // Before: "onJoin ada@1" ran in the stopped instance, and no onLeave ever followed it.
    expect(run.log).toEqual(["onJoin ada@2"]);
  });

  it("its onJoin running at the stop: onLeave there, no seat kept in the next instance", async () => {
    const run = setUp("onJoin");
    const ada = await run.start();
    const answer = ada.request("room.join_or_create", { room_type: "hall", room: "h" });
    await run.entered.promise;
    expect(await ada.request("room.leave", { room: "h" })).toMatchObject({ ok: true });
    expect(await answer).toMatchObject({ ok: false });
    await run.reload(2);
    run.gate.resolve();
    await run.settled.promise;
    const bob = run.client();
    await bob.handshake({ token: "dev:bob" });
    expect(await bob.request("room.join_or_create", { room_type: "hall", room: "h" })).toMatchObject({ ok: true });
    const snapshot = await bob.expect("state.snapshot", (p) => p.room === "h");
    expect(snapshot.p.state.players).toEqual(["bob"]);
    // Before: ada's seat was kept in version 2 (listed 2 clients, ada counted for resumeWindowMs, then "onLeave ada@2").
    const { rooms } = await bob.request("room.list", { room_type: "hall" });
    expect(rooms).toMatchObject([{ room: "h", clients: 1 }]);
    // Version 1's onJoin is followed by its onLeave (before: never).
    expect(run.log).toEqual(["onJoin ada@1", "onLeave ada@1", "onJoin bob@2"]);
  });
});
