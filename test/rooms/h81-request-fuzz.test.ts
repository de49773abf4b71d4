/**
 * Rooms requests in the wrong order, twice and at once — enqueue and dequeue racing the matches they make, joins of
 * the rooms matched, leaves of rooms never joined — from three players whose sockets drop and resume their sessions,
 * with a reload of the server's code on the way: every request with a rid is answered exactly once on the socket it
 * came on, no `rpc.response` answers what nobody asked (h81-leave-during-reload-rejoin), and the server logs no
 * internal error.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createRooms, defineRoomType } from "../../src/rooms/index.js";
import { cleanupAll, pollUntil } from "../helpers/server.js";
import { rawClient, startRooms, type RawClient } from "./helpers.js";
import { seededRandom } from "../helpers/seeded-random.js";

afterEach(cleanupAll);

const types = {
  trio: defineRoomType<{ n: number }>({
    maxClients: 3,
    onCreate() {
      this.state = { n: 0 };
    },
    onInput() {
      this.state.n++;
    },
  }),
};

/** Every envelope the client received so far (JSON codec; `expect` takes what it finds, this reads them all). */
function answers(client: RawClient): Array<{ t: string; rid?: unknown; p: Record<string, unknown> }> {
  return client.client.messages.map((frame) => JSON.parse(frame as string) as { t: string; rid?: unknown; p: Record<string, unknown> });
}

describe("rooms requests in the wrong order, twice, at once, across resumes and a reload", () => {
  for (const seed of [1, 2, 3, 4]) {
    it(`seed ${seed}: every request with a rid is answered once`, async () => {
      const random = seededRandom(seed);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
      const server = await startRooms(types, { limits: { maxProtocolErrors: 100_000 }, server: { storage: "leveldb" } });
      const clients: RawClient[] = [];
      const play = async (player: string) => {
        let session: string | undefined;
        let rooms: string[] = [];
        for (let part = 0; part < 3; part++) {
          const client = rawClient(server);
          clients.push(client);
          const ok = await client.handshake({ token: `dev:${player}`, ...(session ? { session_id: session } : {}) });
          session = ok.session_id as string;
          if (part === 1 && player === "ada") void server.server.reload(createRooms({ types }).parties);
          const rids: string[] = [];
          const sent = new Map<string, string>();
          for (let i = 0; i < 60; i++) {
            const found = answers(client)
              .filter((envelope) => envelope.t === "match.found")
              .map((envelope) => envelope.p.room as string);
            rooms = [...rooms, ...found].slice(-3);
            const room = rooms.length > 0 && random() < 0.7 ? pick(rooms) : pick(["x", "y"]);
            const requests: Array<[string, Record<string, unknown>]> = [
              ["matchmaking.enqueue", { room_type: "trio", size: pick([2, 3]) }],
              ["matchmaking.dequeue", random() < 0.5 ? {} : { room_type: "trio" }],
              ["room.join_or_create", { room_type: "trio", room }],
              ["room.join_or_create", { room_type: "trio" }],
              ["room.leave", { room }],
              ["room.list", {}],
            ];
            const [t, p] = pick(requests);
            const rid = `${player}${part}-${i}`;
            rids.push(rid);
            client.send(t, p, rid);
            sent.set(rid, `${t} ${JSON.stringify(p)}`);
            if (random() < 0.1) client.send("room.message", { room, type: "inc", data: {} });
            if (random() < 0.15)
              await pollUntil(`the answer to ${rid}`, async () => answers(client).some((envelope) => envelope.rid === rid) || undefined, 10_000);
          }
          for (const rid of rids)
            await pollUntil(`the answer to ${rid}`, async () => answers(client).some((envelope) => envelope.rid === rid) || undefined, 10_000).catch(
              (error) => {
                throw new Error(`${(error as Error).message} (${sent.get(rid)}); last received: ${JSON.stringify(answers(client).slice(-8))}`);
              },
            );
          client.client.ws.terminate();
          await client.client.closed;
        }
      };
      await Promise.all([play("ada"), play("bob"), play("carl")]);
      for (const client of clients) {
        const counts = new Map<unknown, number>();
        for (const envelope of answers(client)) if (envelope.t === "rpc.response") counts.set(envelope.rid, (counts.get(envelope.rid) ?? 0) + 1);
        // (Each request here has a rid: an rpc.response without one answers nothing the client asked.)
        expect(
          [...counts].filter(([rid, n]) => n > 1 || rid === undefined),
          "rids answered more than once, or answers to nothing",
        ).toEqual([]);
      }
      expect(server.logs.filter((entry) => entry.level === "error").map((entry) => entry.event)).toEqual([]);
    }, 60_000);
  }
});
