/**
 * `yparty dev` makes a new rooms mount at each rebuild, and the sessions were each mount's: a client whose socket
 * dropped before a rebuild came back with its session id to a mount that did not know it, and got a new session
 * (`resumed: false`): the room messages held for it while it was away were lost. A session open across the rebuild
 * kept the old mount's room types until it reconnected: a room type the rebuild added was refused to it. The sessions
 * now outlive the mounts (one `RoomsSessions` per protocol, kept by src/cli/serve/mounts.ts, as the `MatchmakingState`
 * is), and use the code of the mount served.
 *
 * The real CLI (`yparty dev` in a project folder, rebuilt by saving its rooms module) and the real client
 * (`yparty/rooms-client`), whose reconnects wait until the test lets them through (held-back-token.ts).
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type WebSocket from "ws";
import { connect, type RoomsClient, type RoomsClientEvent } from "../../rooms-client/index.js";
import { heldBackToken } from "../helpers/held-back-token.js";
import { waitFor } from "../helpers/server.js";
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
  /** Saves the module as `source` and waits for the reload (or the failed build) it makes. */
  save(source: string, outcome?: RegExp): Promise<void>;
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
    async save(next, outcome = /dev\.reloaded/) {
      const mark = cli.output.length;
      await writeFile(path.join(dir, `${field}.ts`), next);
      await cli.waitFor(outcome, 20_000, mark);
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
