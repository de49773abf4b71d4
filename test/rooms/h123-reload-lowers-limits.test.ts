/**
 * A reload with a new `createRooms` whose limits are lower, or whose token check differs, the sessions kept (`createRooms({ sessions })`, `serve()`,
 * as `yparty dev` does at each rebuild): every session uses the served mount's limits from then on (docs/rooms.md),
 * the bound of the room messages held for a session without a socket too. It was fixed as the session was made: a
 * session open across the reload held up to the first code's `maxReliableBufferBytes` (8 MiB) for good, whatever the
 * served mount said; the socket's own bound (a client too slow for reliable messages is closed 4008) was the one of the
 * mount served as the socket came, for as long as the socket lived. A changed token check holds for a resume (held up, recorded): a session is resumed only by a
 * handshake whose token the served check takes, as Nakama checks the session token at every socket (Colyseus's
 * reconnection token skips onAuth); a socket open across the reload keeps the session it was given, as in both.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createRooms, defineRoomType, MatchmakingState, RoomsSessions } from "../../src/rooms/index.js";
import { cleanupAll, startServer, waitFor } from "../helpers/server.js";
import { rawClient } from "./helpers.js";

afterEach(cleanupAll);

/** `say` is broadcast to every member as `said`, reliably. */
const hall = defineRoomType({
  onInput({ type, data }) {
    if (type === "say") this.broadcast("said", data);
  },
});

describe("a reload that lowers maxReliableBufferBytes", () => {
  it("bounds the messages held for a session made before it", async () => {
    const [matchmaking, sessions] = [new MatchmakingState(), new RoomsSessions()];
    const first = createRooms({ types: { hall }, matchmaking, sessions });
    const server = await startServer(first.parties, { storage: "memory", sockets: first.sockets });
    const [ada, bob] = [rawClient(server), rawClient(server)];
    const { session_id } = await ada.handshake({ token: "dev:ada" });
    await bob.handshake({ token: "dev:bob" });
    for (const client of [ada, bob]) await client.request("room.join_or_create", { room_type: "hall", room: "h" });
    for (const client of [ada, bob]) await client.expect("state.snapshot");

    const next = createRooms({ types: { hall }, matchmaking, sessions, limits: { maxReliableBufferBytes: 4_000 } });
    next.serve();
    await server.server.reload(next.parties);
    // Both sessions are back in the room by themselves (a snapshot each) before ada's socket goes.
    for (const client of [ada, bob]) await client.expect("state.snapshot");
    await ada.client.close();
    // Each ~1,500 bytes in UTF-8: two fit in 4,000 bytes, not three.
    for (const n of [1, 2, 3, 4]) {
      bob.send("room.message", { room: "h", type: "say", data: { n, text: "€".repeat(500) } });
      await bob.expect("room.message", (p) => p.data?.n === n);
    }

    const back = rawClient(server);
    expect(await back.handshake({ token: "dev:ada", session_id })).toMatchObject({ resumed: true });
    const delivered = [await back.expect("room.message"), await back.expect("room.message")].map((envelope) => envelope.p.data.n);
    expect(delivered).toEqual([1, 2]);
    expect((await back.expect("error")).p.reason).toMatch(/^2 room messages sent while the socket was away were dropped/);
  });

  it("closes a socket open across it that is too slow for the served bound (4008)", async () => {
    const [matchmaking, sessions] = [new MatchmakingState(), new RoomsSessions()];
    const loud = defineRoomType({
      onInput(input) {
        this.broadcast(input.type, input.data, { except: input.sender });
      },
    });
    const first = createRooms({ types: { loud }, matchmaking, sessions, limits: { maxReliableBufferBytes: 2 ** 30 } });
    const server = await startServer(first.parties, { storage: "memory", sockets: first.sockets });
    const [reader, writer] = [rawClient(server), rawClient(server)];
    await reader.handshake({ token: "dev:reader" });
    await writer.handshake({ token: "dev:writer" });
    for (const client of [reader, writer]) await client.request("room.join_or_create", { room_type: "loud", room: "l" });
    for (const client of [reader, writer]) await client.expect("state.snapshot");

    const next = createRooms({ types: { loud }, matchmaking, sessions, limits: { maxReliableBufferBytes: 1024 * 1024 } });
    next.serve();
    await server.server.reload(next.parties);
    for (const client of [reader, writer]) await client.expect("state.snapshot");
    reader.client.ws.pause(); // stops reading: the server's send buffer for it fills
    const blob = "y".repeat(64 * 1024);
    for (let i = 0; i < 300; i++) writer.send("room.message", { room: "l", type: "say", data: { i, blob } }); // ~19 MB
    expect(await writer.request("room.list", {})).toMatchObject({ ok: true });
    reader.client.ws.resume();
    expect((await waitFor(reader.client.closed, "the slow reader to be closed", 20_000)).code).toBe(4008);
  });

  it("a changed token check: a resume with a token it refuses is refused (4401), one it takes resumes", async () => {
    const [matchmaking, sessions] = [new MatchmakingState(), new RoomsSessions()];
    const first = createRooms({ types: { hall }, matchmaking, sessions });
    const server = await startServer(first.parties, { storage: "memory", sockets: first.sockets });
    const ada = rawClient(server);
    const { session_id } = await ada.handshake({ token: "dev:ada" });
    await ada.request("room.join_or_create", { room_type: "hall", room: "h" });
    await ada.client.close();

    const next = createRooms({ types: { hall }, matchmaking, sessions, verifyToken: (token) => (token === "ada-v2" ? "ada" : null) });
    next.serve();
    await server.server.reload(next.parties);
    const refused = rawClient(server);
    await refused.client.opened;
    refused.send("handshake", { v: 1, codecs: ["json"], project_id: "test", token: "dev:ada", session_id });
    expect((await refused.client.closed).code).toBe(4401);
    const back = rawClient(server);
    expect(await back.handshake({ token: "ada-v2", session_id })).toMatchObject({ resumed: true, rooms: [{ room: "h" }] });
  });
});
