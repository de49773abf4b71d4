/**
 * A client's own `room.join_or_create` under way when the server's code is reloaded (`yparty dev`'s rebuild; here
 * `server.reload` with a new `createRooms`, the sessions kept) was answered `ok: false` ("could not be joined (1012
 * Server code reloaded)"): the client had to retry. The session joins again on the reloaded code, as it does for the
 * rooms it was in, and answers the request once that join is done.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createRooms, defineRoomType, MatchmakingState, RoomsSessions, type RoomType } from "../../src/rooms/index.js";
import { cleanupAll, startServer } from "../helpers/server.js";
import { rawClient } from "./helpers.js";

afterEach(cleanupAll);

/** Room type `hall` whose `onJoin` waits for `gate` (the join under way as the reload comes), marking who joined. */
function hall(version: number, gate?: Promise<void>, entered?: () => void): RoomType<any> {
  return defineRoomType<{ players: Record<string, number> }>({
    maxClients: 2,
    onCreate() {
      this.state = { players: {} };
    },
    async onJoin(player) {
      entered?.();
      await gate;
      this.state.players[player] = version;
    },
  });
}

describe("a join cut by a reload", () => {
  for (const named of [true, false]) {
    it(`${named ? "a named" : "an unnamed"} join completes on the reloaded code`, async () => {
      const [matchmaking, sessions] = [new MatchmakingState(), new RoomsSessions()];
      let entered!: () => void;
      const inJoin = new Promise<void>((resolve) => (entered = resolve));
      const never = new Promise<void>(() => {});
      const first = createRooms({ types: { hall: hall(1, never, entered) }, matchmaking, sessions });
      const server = await startServer(first.parties, { storage: "memory", sockets: first.sockets });
      const ada = rawClient(server);
      await ada.handshake({ token: "dev:ada" });
      const answer = ada.request("room.join_or_create", { room_type: "hall", ...(named ? { room: "h" } : {}) });
      await inJoin; // its onJoin runs on the first code

      const next = createRooms({ types: { hall: hall(2) }, matchmaking, sessions });
      next.serve();
      await server.server.reload(next.parties);
      const response = await answer;
      expect(response).toMatchObject({ ok: true, room_type: "hall" });
      if (named) expect(response.room).toBe("h");
      const snapshot = await ada.expect("state.snapshot");
      expect(snapshot.p).toMatchObject({ room: response.room, state: { players: { ada: 2 } } });
      expect(ada.received.filter((envelope) => envelope.t === "error")).toEqual([]);
      const { rooms } = await ada.request("room.list", { room_type: "hall" });
      expect(rooms).toMatchObject([{ room: response.room, clients: 1 }]);
    });
  }

  it("a room type the reload removed: refused, saying why", async () => {
    const [matchmaking, sessions] = [new MatchmakingState(), new RoomsSessions()];
    let entered!: () => void;
    const inJoin = new Promise<void>((resolve) => (entered = resolve));
    const first = createRooms({ types: { hall: hall(1, new Promise<void>(() => {}), entered) }, matchmaking, sessions });
    const server = await startServer(first.parties, { storage: "memory", sockets: first.sockets });
    const ada = rawClient(server);
    await ada.handshake({ token: "dev:ada" });
    const answer = ada.request("room.join_or_create", { room_type: "hall", room: "h" });
    await inJoin;
    const next = createRooms({ types: { lobby: hall(2) }, matchmaking, sessions });
    next.serve();
    await server.server.reload(next.parties);
    expect(await answer).toMatchObject({ ok: false, room: "h", reason: expect.stringContaining("hall") });
  });
});
