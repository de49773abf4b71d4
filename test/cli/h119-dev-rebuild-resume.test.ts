/**
 * `yparty dev` makes a new rooms mount at each rebuild, and the sessions were each mount's: a client whose socket
 * dropped before a rebuild came back with its session id to a mount that did not know it, and got a new session
 * (`resumed: false`): the room messages held for it while it was away were lost. A session open across the rebuild
 * kept the old mount's room types until it reconnected: a room type the rebuild added was refused to it. The sessions
 * now outlive the mounts (one `RoomsSessions` / `GameSessions` per protocol, kept by src/cli/serve/mounts.ts, as the
 * `MatchmakingState` is), and use the code of the mount served. The game's sessions (per player) alike: a player back
 * after a rebuild was a new session, in no match.
 *
 * The real CLI (`yparty dev` in a project folder, rebuilt by saving its module) and the real clients
 * (`yparty/rooms-client`, whose reconnects wait until the test lets them through: held-back-token.ts; a raw game
 * client). Then the change attacked: away across two rebuilds, a failed build and a refused module; a rebuild while a
 * resume's token is checked (made with the CLI's mount sources, as test/cli/h116-dev-rebuild-listings, to hold the
 * check).
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type WebSocket from "ws";
import { connect, type RoomsClient, type RoomsClientEvent } from "../../rooms-client/index.js";
import { heldBackToken } from "../helpers/held-back-token.js";
import { defineRoomType, defineRooms } from "../../src/rooms/index.js";
import { deferred, startServer, waitFor } from "../helpers/server.js";
import { rawClient } from "../rooms/helpers.js";
import { devMountSources } from "./dev-mounts.js";
import { gameClient } from "../game/helpers.js";
import { trackedClients } from "../helpers/tracked-websocket.js";
import { deferredCleanups, projectWith, serveIn, type CliProcess } from "./helpers.js";

const defer = deferredCleanups(afterEach);
const tracked = trackedClients<RoomsClient>();

/** A rooms module: `lobby` (its `say` input is broadcast as `said`, reliably), and the room types `more` names. */
const roomsModule = (more = "") => `import { defineRooms, defineRoomType } from "yparty/rooms";
const lobby = defineRoomType({
  onInput({ type, data }) {
    if (type === "say") this.broadcast("said", data);
  },
});
export default defineRooms({ types: { lobby${more} } });
`;

/** The next event of `client` that `match` takes, from now on. */
function nextEvent(client: RoomsClient, what: string, match: (event: RoomsClientEvent) => boolean): Promise<RoomsClientEvent> {
  let off = (): void => {};
  const seen = new Promise<RoomsClientEvent>((resolve) => {
    off = client.on((event) => match(event) && resolve(event));
  });
  return waitFor(seen, what, 15_000).finally(off);
}

interface Dev {
  cli: CliProcess;
  dir: string;
  wsUrl: string;
  /** The WebSocket URL of `socketPath`. */
  url(socketPath: string): string;
  /** Saves the module as `source` and waits for the reload it makes (`served` false: for the build it refuses). */
  save(source: string, served?: boolean): Promise<void>;
}

/** `yparty dev` on a project whose `field` module (rooms.ts or game.ts) is `source`. */
async function dev(field: "rooms" | "game" = "rooms", source = roomsModule()): Promise<Dev> {
  const dir = await projectWith(defer, { "yparty.json": JSON.stringify({ [field]: `${field}.ts` }), [`${field}.ts`]: source });
  const { cli, url } = await serveIn(defer, "dev", dir);
  return {
    cli,
    dir,
    wsUrl: `${url.replace(/^http/, "ws")}/rooms`,
    url: (socketPath) => url.replace(/^http/, "ws") + socketPath,
    async save(next, served = true) {
      const stream = served ? "stdout" : "stderr";
      const mark = cli[stream].length;
      await writeFile(path.join(dir, `${field}.ts`), next);
      await cli.waitFor(served ? /dev\.reloaded/ : /Still serving the last good build/, 20_000, mark, stream);
    },
  };
}

interface Player {
  client: RoomsClient;
  back(): void;
  /** Its first socket. */
  socket: WebSocket;
}

/** A game module: match `arena` (its players in the state), and the matches `more` names. */
const gameModule = (more = "") => `import { defineGame, defineMatch } from "yparty/game";
const arena = defineMatch({
  tickRate: 10,
  init: () => ({ players: [] }),
  onJoin(state, player) {
    if (!state.players.includes(player)) state.players.push(player);
  },
});
export default defineGame({ matches: { arena${more} } });
`;

/** `name`'s client, its reconnects held until `back()`, in room `r` of `lobby`. */
async function inLobby(at: Dev, name: string): Promise<Player> {
  const { token, back } = heldBackToken(name);
  const client = await connect(at.wsUrl, { token, codecs: ["json"], WebSocket: tracked.WebSocket, backoff: { initialMs: 10, maxMs: 20 } });
  tracked.clients.push(client);
  const socket = tracked.sockets.at(-1)!;
  await client.joinOrCreate("lobby", { room: "r" });
  return { client, back, socket };
}

/** Cuts `player`'s first socket (a clean close the server has seen once it is done); its reconnect waits. */
async function away({ client, socket }: Player): Promise<void> {
  const reconnecting = nextEvent(client, "the client to see its socket go", (event) => event.type === "status" && event.status === "reconnecting");
  socket.close(1000, "away for a while");
  await reconnecting;
}

/** bob says `n` in the lobby, and sees it said (the room has sent it to every member's session, ada's too). */
async function says(bob: RoomsClient, n: number): Promise<void> {
  const said = nextEvent(bob, `bob to see "said" ${n}`, (event) => event.type === "message" && (event.data as { n: number }).n === n);
  bob.send("r", "say", { n });
  await said;
}

/** Lets `ada` back; resolves once her client is open again, with the first room message it gets from then on. */
async function comesBack(ada: Player): Promise<{ firstSaid: Promise<RoomsClientEvent> }> {
  const firstSaid = nextEvent(ada.client, "a room message to ada", (event) => event.type === "message");
  firstSaid.catch(() => {});
  const open = nextEvent(ada.client, "ada's client to be back", (event) => event.type === "status" && event.status === "open");
  ada.back();
  await open;
  return { firstSaid };
}

describe("yparty dev: sessions across rebuilds", () => {
  it("a client back after a rebuild resumes its session, with the messages held for it; an open one gets the new room types", async () => {
    const at = await dev();
    const ada = await inLobby(at, "ada");
    const bob = await inLobby(at, "bob");
    const session = ada.client.sessionId;
    await away(ada);
    await says(bob.client, 1);

    await at.save(roomsModule(", arena: defineRoomType({ maxClients: 2 })"));
    const { firstSaid } = await comesBack(ada);
    // Before: a new session (another id), the held message lost.
    expect(ada.client.sessionId).toBe(session);
    expect(await firstSaid).toMatchObject({ room: "r", messageType: "said", data: { n: 1 } });
    expect([...ada.client.rooms.keys()]).toEqual(["r"]);

    // bob's session was open across the rebuild: before, "p.room_type must be one of: lobby".
    expect((await bob.client.joinOrCreate("arena", { room: "a" })).room).toBe("a");
    expect((await ada.client.joinOrCreate("arena", { room: "a" })).room).toBe("a");
    await says(bob.client, 2);
  });
});

describe("yparty dev: sessions across rebuilds, attacked", () => {
  it("a client away across two rebuilds, a failed build and a refused module resumes, with every message held, in order", async () => {
    const at = await dev();
    const ada = await inLobby(at, "ada");
    const bob = await inLobby(at, "bob");
    const session = ada.client.sessionId;
    await away(ada);
    await says(bob.client, 1);
    await at.save(roomsModule(", arena: defineRoomType({ maxClients: 2 })"));
    await says(bob.client, 2);
    await at.save(`${roomsModule()}\nexport const broken = ;\n`, false); // does not build
    await at.save(roomsModule(", odd: {}"), false); // builds; its module is refused (not a room type)
    // The refused module served nothing: bob's session has the last good build's room types.
    await expect(bob.client.joinOrCreate("odd", { room: "o" })).rejects.toThrow(/room_type must be one of: lobby, arena$/);
    await says(bob.client, 3);
    await at.save(roomsModule(", duel: defineRoomType({ maxClients: 2 })"));
    await says(bob.client, 4);

    const said: unknown[] = [];
    ada.client.on((event) => event.type === "message" && said.push(event.data));
    const { firstSaid } = await comesBack(ada);
    expect(ada.client.sessionId).toBe(session);
    await firstSaid;
    const fifth = nextEvent(ada.client, "ada to get 5", (event) => event.type === "message" && (event.data as { n: number }).n === 5);
    await says(bob.client, 5); // after the held ones
    await fifth;
    expect(said).toEqual([1, 2, 3, 4, 5].map((n) => ({ n })));
    // The last build's room types: arena is gone, duel is there.
    await expect(ada.client.joinOrCreate("arena", { room: "a" })).rejects.toThrow(/room_type must be one of: lobby, duel$/);
    expect((await ada.client.joinOrCreate("duel", { room: "d" })).room).toBe("d");
  });
});

describe("yparty dev's mounts: a rebuild during a resume", () => {
  it("the handshake begun before the rebuild resumes the session after it, on the new code", async () => {
    const { sources, mount } = await devMountSources(["rooms"], defer);
    const verifying = deferred();
    const held = deferred();
    // "hold:<player>" is checked only once the test lets it: the rebuild comes while the resume's token is checked.
    const verifyToken = async (token: string) => {
      if (token.startsWith("hold:")) {
        verifying.resolve();
        await held.promise;
      }
      return token.slice(token.indexOf(":") + 1);
    };
    const lobby = defineRoomType({
      onInput({ type, data }) {
        if (type === "say") this.broadcast("said", data);
      },
    });
    const server = await startServer(mount({ rooms: defineRooms({ types: { lobby }, verifyToken }) }), { storage: "memory", sockets: sources.sockets });
    const [ada, bob] = [rawClient(server), rawClient(server)];
    const { session_id } = await ada.handshake({ token: "dev:ada" });
    await bob.handshake({ token: "dev:bob" });
    for (const client of [ada, bob]) expect((await client.request("room.join_or_create", { room_type: "lobby", room: "r" })).ok).toBe(true);
    await ada.client.close();
    bob.send("room.message", { room: "r", type: "say", data: { n: 1 } });
    await bob.expect("room.message", (p) => p.data?.n === 1);

    const back = rawClient(server);
    await back.client.opened;
    back.send("handshake", { v: 1, codecs: ["json"], project_id: "test", token: "hold:ada", session_id });
    await waitFor(verifying.promise, "the resume's token to be checked");
    const arena = defineRoomType({ maxClients: 2 });
    await server.server.reload(mount({ rooms: defineRooms({ types: { lobby, arena }, verifyToken }) }));
    held.resolve();
    // Before: resumed false, a new session (of the mount served), the held message lost.
    expect((await back.expect("handshake.ok")).p).toMatchObject({ session_id, resumed: true, rooms: [{ room: "r", room_type: "lobby" }] });
    expect((await back.expect("room.message")).p).toEqual({ room: "r", type: "said", data: { n: 1 } });
    expect((await back.request("room.join_or_create", { room_type: "arena", room: "a" })).ok).toBe(true);
  });
});

describe("yparty dev: game sessions across rebuilds", () => {
  it("a player back after a rebuild finds its session, in its match; an open one gets the new matches", async () => {
    const at = await dev("game", gameModule());
    const game = { wsUrl: at.url };
    const [ada, bob] = [gameClient(game), gameClient(game)];
    for (const [client, name] of [
      [ada, "ada"],
      [bob, "bob"],
    ] as const) {
      await client.connect(name);
      expect((await client.request("match.join", { match_id: "m.arena" })).type).toBe("match.join");
    }
    await ada.client.close();

    await at.save(gameModule(", duel: defineMatch({ tickRate: 10, init: () => ({}) })"));
    const back = gameClient(game);
    // Before: a new session, in no match (the old mount's kept ada's seat until its reconnect window was up).
    expect(await back.connect("ada")).toEqual({ player_id: "ada", match_id: "m.arena" });
    expect((await back.request("match.join", { match_id: "m.arena" })).type).toBe("match.join");
    // bob's session was open across the rebuild: before, 'no match "d.duel"'.
    expect((await bob.request("match.leave", {})).type).toBe("match.leave");
    expect((await bob.request("match.join", { match_id: "d.duel" })).type).toBe("match.join");
  });
});
