/**
 * A join whose `onJoin` was still running when the room stopped for a reload (`yparty dev`'s rebuild; here
 * `server.reload` with a new `createRooms`, the sessions kept) goes on in the room's next instance, the player's seat
 * kept at the stop. When that `onJoin` settled afterwards in the stopped instance, the instance took the join as
 * abandoned: it ran `onLeave` for a player who was in the room (its next instance), and stored its own state and seated
 * list over the next instances' (it had stopped: nothing it writes is the room's any more). After two quick reloads the
 * room came back from that write, without the player's kept seat: the player was out of the room it had joined
 * (the kept seat lost across two reloads, seen once in the listing model and not replayed). A stopped instance now
 * runs nothing for such a join and writes nothing.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createRooms, defineRoomType, MatchmakingState, RoomsSessions, type RoomType } from "../../src/rooms/index.js";
import { cleanupAll, deferred, startServer } from "../helpers/server.js";
import { rawClient } from "./helpers.js";

afterEach(cleanupAll);

describe("a join that ends in a stopped instance", () => {
  it("as the room stops (its connection closed, its onStop not run yet): no onLeave, the player in the next instance", async () => {
    const left: string[] = [];
    const entered = deferred();
    const gate = deferred();
    const hall = (version: number): RoomType<any> =>
      defineRoomType<{ players: Record<string, number> }>({
        maxClients: 4,
        onCreate() {
          this.state = { players: {} };
        },
        async onJoin(player) {
          if (version === 1) {
            entered.resolve();
            await gate.promise;
          }
          this.state.players[player] = version;
        },
        onLeave(player) {
          left.push(`${player}@${version}`);
          delete this.state.players[player];
        },
      });
    const [matchmaking, sessions] = [new MatchmakingState(), new RoomsSessions()];
    const mount = (version: number) => createRooms({ types: { hall: hall(version) }, matchmaking, sessions });
    const first = mount(1);
    const server = await startServer(first.parties, { storage: "leveldb", sockets: first.sockets });
    const ada = rawClient(server);
    await ada.handshake({ token: "dev:ada" });
    const answer = ada.request("room.join_or_create", { room_type: "hall", room: "h" });
    await entered.promise;
    const next = mount(2);
    next.serve();
    const reloaded = server.server.reload(next.parties);
    gate.resolve(); // version 1's onJoin settles as its connection reads closed, before the room's onClose and onStop
    await reloaded;
    expect(await answer).toMatchObject({ ok: true, room: "h" });
    const snapshot = await ada.expect("state.snapshot", (p) => p.room === "h");
    expect(snapshot.p.state.players).toEqual({ ada: 2 });
    // Before: "ada@1": version 1 took the join as given up (its connection closed) and ran onLeave.
    expect(left).toEqual([]);
  });

  it("after the room stopped: no onLeave there, and nothing written over the next instances", async () => {
    const left: string[] = [];
    const entered = deferred();
    const gate = deferred();
    const lateDone = deferred();
    /** Version 1's onJoin waits for `gate` (cut by the reload); every version keeps its players in the state. */
    const hall = (version: number): RoomType<any> =>
      defineRoomType<{ players: Record<string, number> }>({
        maxClients: 4,
        onCreate() {
          this.state = { players: {} };
        },
        async onJoin(player) {
          if (version === 1) {
            entered.resolve();
            await gate.promise;
            lateDone.resolve();
          }
          this.state.players[player] = version;
        },
        onLeave(player) {
          left.push(`${player}@${version}`);
          delete this.state.players[player];
        },
      });
    const [matchmaking, sessions] = [new MatchmakingState(), new RoomsSessions()];
    const mount = (version: number) => createRooms({ types: { hall: hall(version) }, matchmaking, sessions });
    const reload = async (version: number): Promise<void> => {
      const next = mount(version);
      next.serve();
      await server.server.reload(next.parties);
    };
    const first = mount(1);
    const server = await startServer(first.parties, { storage: "leveldb", sockets: first.sockets });
    const ada = rawClient(server);
    await ada.handshake({ token: "dev:ada" });
    const answer = ada.request("room.join_or_create", { room_type: "hall", room: "h" });
    await entered.promise;
    await reload(2); // the join goes on in version 2
    expect(await answer).toMatchObject({ ok: true, room: "h" });
    await ada.expect("state.snapshot", (p) => p.room === "h");
    await reload(3); // ada's seat kept, her session back in version 3
    await ada.expect("state.snapshot", (p) => p.room === "h");

    gate.resolve(); // version 1's onJoin settles, long after its instance stopped
    await lateDone.promise;
    await reload(4);
    const snapshot = await ada.expect("state.snapshot", (p) => p.room === "h");
    // Before: version 1 ran onLeave ("ada@1") and stored its state, without ada, over version 3's.
    expect(snapshot.p.state.players).toEqual({ ada: 4 });
    const { rooms } = await ada.request("room.list", { room_type: "hall" });
    expect(rooms).toMatchObject([{ room: "h", clients: 1 }]);
    expect(left).toEqual([]);
  });
});
