/**
 * Sessions that outlive the mounts (`createRooms({ sessions })`, as `yparty dev` keeps them) must still go when their
 * clients never come back: across two reloads, every away session ends within its `resumeWindowMs` (its seats
 * freed, `room.list` counting only who is left, a resume refused), and the room's count stays right through the
 * reloads and a resume (held up: recorded).
 */
import { afterEach, describe, expect, it } from "vitest";
import { createRooms, defineRoomType, MatchmakingState, RoomsSessions } from "../../src/rooms/index.js";
import { cleanupAll, pollUntil, startServer } from "../helpers/server.js";
import { rawClient, type RawClient } from "./helpers.js";

afterEach(cleanupAll);

const left: string[] = [];
const hall = defineRoomType({
  maxClients: 20,
  onLeave(player) {
    left.push(player);
  },
});
const WINDOW_MS = 400;
const AWAY = 8;

/** `room.list`'s count of room `h`, as `client` sees it. */
async function listed(client: RawClient): Promise<number | undefined> {
  const { rooms } = await client.request("room.list", { room_type: "hall" });
  return (rooms as Array<{ room: string; clients: number }>).find((room) => room.room === "h")?.clients;
}

describe("away sessions across reloads", () => {
  it("end within their window, and the room's count follows", async () => {
    const [matchmaking, sessions] = [new MatchmakingState(), new RoomsSessions()];
    const mount = () => createRooms({ types: { hall }, matchmaking, sessions, limits: { resumeWindowMs: WINDOW_MS } });
    const first = mount();
    const server = await startServer(first.parties, { storage: "memory", sockets: first.sockets });
    const stay = rawClient(server);
    await stay.handshake({ token: "dev:stay" });
    await stay.request("room.join_or_create", { room_type: "hall", room: "h" });
    await stay.expect("state.snapshot");
    const away: Array<{ name: string; session_id: string }> = [];
    for (let i = 0; i < AWAY; i++) {
      const client = rawClient(server);
      const { session_id } = await client.handshake({ token: `dev:away${i}` });
      await client.request("room.join_or_create", { room_type: "hall", room: "h" });
      await client.client.close();
      away.push({ name: `away${i}`, session_id });
    }
    expect(await listed(stay)).toBe(AWAY + 1);

    // Two reloads while they are away: the count holds through each (seats kept at the stop, taken back by the sessions).
    const started = Date.now();
    for (let reload = 0; reload < 2; reload++) {
      const next = mount();
      next.serve();
      await server.server.reload(next.parties);
      await stay.expect("state.snapshot");
      expect(await listed(stay)).toBe(AWAY + 1);
    }
    // One comes back in time and resumes: still counted once.
    const back = rawClient(server);
    expect(await back.handshake({ token: "dev:away0", session_id: away[0]!.session_id })).toMatchObject({ resumed: true });
    expect(await listed(stay)).toBe(AWAY + 1);

    // The others never do: within their window (and a margin for the reloads) they are gone.
    await pollUntil("the away sessions to end", async () => ((await listed(stay)) === 2 ? true : undefined), 5_000);
    expect(Date.now() - started).toBeLessThan(WINDOW_MS * 2 + 3_000);
    expect(left.sort()).toEqual(
      away
        .slice(1)
        .map(({ name }) => name)
        .sort(),
    );
    const late = rawClient(server);
    expect(await late.handshake({ token: "dev:away1", session_id: away[1]!.session_id })).toMatchObject({ resumed: false, rooms: [] });
  });
});
