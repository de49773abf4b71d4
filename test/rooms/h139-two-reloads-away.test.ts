/**
 * Helper 139 tried to reproduce a kept seat lost across two quick reloads while its player was away (one run of the
 * listing model seemed to lose one, and could not be replayed). A player in a room whose socket dropped (its session
 * away, within `resumeWindowMs`) while the server's code is reloaded twice in a row (`server.reload` with a new
 * `createRooms`, the sessions kept), one after the other or the second before the first is done, with the room's
 * `onJoin` fast or slow (the session's rejoin under way as the second reload comes), its client back after them or
 * as the second runs, on LevelDB: the player resumes
 * in its room, the room's state and logic still hold it, and `room.list` counts it, all along. It held every time.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createRooms, defineRoomType, MatchmakingState, RoomsSessions } from "../../src/rooms/index.js";
import { cleanupAll, startServer, waitFor } from "../helpers/server.js";
import { rawClient } from "./helpers.js";

afterEach(cleanupAll);

const ROUNDS = Number(process.env.H139_ROUNDS ?? 3);

describe("two reloads in a row while a player is away", () => {
  for (const overlap of [false, true])
    for (const slow of [false, true])
      for (const resumeDuring of [false, true])
        it(`the player keeps its seat (reloads ${overlap ? "overlapping" : "one after the other"}, onJoin ${slow ? "slow" : "fast"}, back ${resumeDuring ? "as the second reload runs" : "after them"})`, async () => {
          const left: string[] = [];
          const hall = defineRoomType<{ players: string[] }>({
            maxClients: 4,
            onCreate() {
              this.state = { players: [] };
            },
            async onJoin(player) {
              if (slow) await new Promise((resolve) => setTimeout(resolve, 5));
              if (!this.state.players.includes(player)) this.state.players.push(player);
            },
            onLeave(player) {
              left.push(player);
              this.state.players = this.state.players.filter((name) => name !== player);
            },
          });
          const [matchmaking, sessions] = [new MatchmakingState(), new RoomsSessions()];
          const mount = () => createRooms({ types: { hall }, matchmaking, sessions, limits: { resumeWindowMs: 10_000 } });
          const first = mount();
          const server = await startServer(first.parties, { storage: "leveldb", sockets: first.sockets });
          const observer = rawClient(server);
          await observer.handshake({ token: "dev:observer" });
          for (let round = 0; round < ROUNDS; round++) {
            const ada = rawClient(server);
            const sessionId = (await ada.handshake({ token: "dev:ada" })).session_id;
            await ada.request("room.join_or_create", { room_type: "hall", room: "h" });
            await ada.expect("state.snapshot");
            ada.client.ws.terminate(); // away: its session kept
            await ada.client.closed;

            const reloads: Array<Promise<void>> = [];
            const back = rawClient(server);
            let resumed: Promise<Record<string, any>> | undefined;
            for (let reload = 0; reload < 2; reload++) {
              if (reload === 1 && resumeDuring) resumed = back.handshake({ token: "dev:ada", session_id: sessionId });
              const next = mount();
              next.serve();
              const done = server.server.reload(next.parties);
              if (overlap) reloads.push(done);
              else await done;
            }
            await waitFor(Promise.all(reloads), "the reloads");
            const ok = await (resumed ?? back.handshake({ token: "dev:ada", session_id: sessionId }));
            expect(ok).toMatchObject({ resumed: true, rooms: [{ room: "h", room_type: "hall" }] });
            const snapshot = await back.expect("state.snapshot", (p) => p.room === "h");
            expect(snapshot.p.state.players).toContain("ada");
            const { rooms } = await observer.request("room.list", { room_type: "hall" });
            expect(rooms).toMatchObject([{ room: "h", clients: 1 }]);
            expect(left).toEqual([]);
            await back.request("room.leave", { room: "h" });
            left.length = 0;
            await back.client.close();
          }
        });
});
