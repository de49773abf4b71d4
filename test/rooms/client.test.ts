import { describe, expect, it } from "vitest";
import { connect, StateMirror, type RoomsClient, type RoomsClientEvent } from "../../rooms-client/index.js";
import { stateChecksum } from "../../src/rooms/wire/index.js";
import { waitFor, type TestServer } from "../helpers/server.js";
import { foreignInputs } from "../helpers/browser-bundle.js";
import { socketsOpenedByFailedConnect } from "../helpers/failed-connect.js";
import { counter, type CounterState } from "./fixtures.js";
import { startRooms } from "./helpers.js";
import { trackedClients } from "../helpers/tracked-websocket.js";

/** The sockets the clients open, so a test can cut one. */
const { WebSocket: TrackedWebSocket, sockets, clients } = trackedClients<RoomsClient>();

async function open(server: TestServer, player: string, codecs: Array<"json" | "msgpack"> = ["msgpack", "json"]): Promise<RoomsClient> {
  const client = await connect(server.wsUrl("/rooms"), {
    token: `dev:${player}`,
    codecs,
    WebSocket: TrackedWebSocket,
    backoff: { initialMs: 20, maxMs: 100 },
    ackDelayMs: 5,
  });
  clients.push(client);
  return client;
}

/** Resolves with the first event `match` accepts. */
function until<E extends RoomsClientEvent>(client: RoomsClient, what: string, match: (event: RoomsClientEvent) => event is E): Promise<E>;
function until(client: RoomsClient, what: string, match: (event: RoomsClientEvent) => boolean): Promise<RoomsClientEvent>;
function until(client: RoomsClient, what: string, match: (event: RoomsClientEvent) => boolean): Promise<RoomsClientEvent> {
  return waitFor(
    new Promise((resolve) => {
      const off = client.on((event) => {
        if (!match(event)) return;
        off();
        resolve(event);
      });
    }),
    what,
  );
}

const countIs = (room: string, count: number) => (event: RoomsClientEvent) =>
  event.type === "state" && event.room === room && (event.state as CounterState).count === count;

describe("yparty/rooms-client", () => {
  it("joins, sends, mirrors the state in both codecs, lists and leaves", async () => {
    const server = await startRooms({ counter });
    const alice = await open(server, "alice", ["msgpack"]);
    const bob = await open(server, "bob", ["json"]);
    expect([alice.codec, bob.codec, alice.player]).toEqual(["msgpack", "json", "alice"]);
    const roomA = await alice.joinOrCreate<CounterState>("counter", { room: "c" });
    const roomB = await bob.joinOrCreate<CounterState>("counter", { room: "c" });
    const seen = until(alice, "count 30 at alice", countIs("c", 30));
    for (let i = 0; i < 10; i++) roomB.send("inc", { by: 3 });
    await seen;
    if (roomB.state?.count !== 30) await until(bob, "count 30 at bob", countIs("c", 30));
    expect(roomA.state).toEqual({ count: 30, players: { alice: { joined: true }, bob: { joined: true } } });
    expect(roomB.state).toEqual(roomA.state);
    const echoed = until(alice, "echo", (event) => event.type === "message" && event.messageType === "echo");
    roomA.sendBytes("echo", new Uint8Array([9, 8, 7]));
    expect(await echoed).toMatchObject({ room: "c", bytes: new Uint8Array([9, 8, 7]) });
    expect(await alice.list("counter")).toEqual([{ room: "c", room_type: "counter", clients: 2, max_clients: 8, metadata: {} }]);
    await roomB.leave();
    expect(await alice.list("counter")).toMatchObject([{ room: "c", clients: 1 }]);
    const refused = roomA.client.joinOrCreate("chess");
    await expect(refused).rejects.toThrow(/room_type must be one of: counter/);
  });

  it("heals its mirror by itself: a gap in seq makes it ask for a snapshot", async () => {
    const server = await startRooms({ counter });
    const alice = await open(server, "alice");
    const room = await alice.joinOrCreate<CounterState>("counter", { room: "g" });
    if (room.seq < 0) await until(alice, "the snapshot", (event) => event.type === "state");
    room.mirror.seq -= 1; // as if a patch had been lost
    const healed = until(alice, "count 5", countIs("g", 5));
    room.send("inc", { by: 5 });
    await healed;
    expect(room.state).toEqual({ count: 5, players: { alice: { joined: true } } });
  });

  it("reconnects after a dropped socket and resumes its session: same session, no lost patch", async () => {
    const server = await startRooms({ counter });
    const alice = await open(server, "alice");
    const bob = await open(server, "bob");
    const roomA = await alice.joinOrCreate<CounterState>("counter", { room: "r" });
    const roomB = await bob.joinOrCreate<CounterState>("counter", { room: "r" });
    if (!("bob" in (roomA.state?.players ?? {})))
      await until(alice, "bob's join", (event) => event.type === "state" && "bob" in (event.state as CounterState).players);
    const session = alice.sessionId;
    const reopened = until(alice, "reopened", (event) => event.type === "status" && event.status === "open");
    sockets[0]!.terminate(); // alice's
    roomB.send("inc", { by: 7 });
    await reopened;
    expect(alice.sessionId).toBe(session);
    if ((roomA.state as CounterState).count !== 7) await until(alice, "count 7", countIs("r", 7));
    roomA.send("inc", { by: 1 });
    await until(bob, "count 8", countIs("r", 8));
    expect(roomA.seq).toBeGreaterThan(0);
  });

  it("when the server no longer has its session, joins its rooms again by name and mirrors the fresh snapshot", async () => {
    const server = await startRooms({ counter }, { limits: { resumeWindowMs: 1 } });
    const bob = await open(server, "bob");
    const roomB = await bob.joinOrCreate<CounterState>("counter", { room: "n" });
    const alice = await connect(server.wsUrl("/rooms"), {
      token: "dev:alice",
      WebSocket: TrackedWebSocket,
      backoff: { initialMs: 200, maxMs: 400 },
      ackDelayMs: 5,
    });
    clients.push(alice);
    const roomA = await alice.joinOrCreate<CounterState>("counter", { room: "n" });
    const firstSession = alice.sessionId;
    // Bob sees alice leave once her session expired (after the drop, well before she reconnects).
    const left = until(
      bob,
      "alice's leave",
      (event) => event.type === "state" && !("alice" in (event.state as CounterState).players) && (event.state as CounterState).count === 0 && roomB.seq > 1,
    );
    sockets[sockets.length - 1]!.terminate();
    await left;
    roomB.send("inc", { by: 4 });
    await until(
      alice,
      "the rejoin's snapshot",
      (event) => event.type === "state" && (event.state as CounterState).count === 4 && "alice" in (event.state as CounterState).players,
    );
    expect(alice.sessionId).not.toBe(firstSession);
    expect(roomA.state).toEqual({ count: 4, players: { alice: { joined: true }, bob: { joined: true } } });
  });

  it("gets match.found as an event", async () => {
    const server = await startRooms({ counter });
    const a = await open(server, "a");
    const b = await open(server, "b");
    const found = until(a, "match", (event) => event.type === "match.found");
    await a.enqueue("counter", 2);
    await b.enqueue("counter", 2);
    expect(await found).toMatchObject({ match: { room_type: "counter", size: 2, participants: ["a", "b"] } });
  });

  it("back in the matchmaking queue after a dropped socket (which takes the session out of it): the match is still found", async () => {
    const server = await startRooms({ counter });
    const a = await open(server, "a");
    const b = await open(server, "b");
    await a.enqueue("counter", 2);
    const reopened = until(a, "reopened", (event) => event.type === "status" && event.status === "open");
    sockets[0]!.terminate(); // a's
    await reopened;
    const found = until(a, "match", (event) => event.type === "match.found");
    await b.enqueue("counter", 2);
    expect(await found).toMatchObject({ match: { room_type: "counter", size: 2, participants: ["a", "b"] } });
  });

  it("StateMirror refuses a patch whose checksum does not match, and one that is not the next seq", () => {
    const mirror = new StateMirror();
    expect(mirror.snapshot({ state: { n: 1 }, seq: 4, checksum: stateChecksum({ n: 1 }) })).toBe("applied");
    expect(mirror.patch({ ops: [{ op: "replace", path: "/n", value: 2 }], seq: 5, checksum: stateChecksum({ n: 3 }) })).toBe("resync");
    expect(mirror.patch({ ops: [], seq: 6 })).toBe("ignored"); // until the snapshot
    expect(mirror.snapshot({ state: { n: 2 }, seq: 5, checksum: stateChecksum({ n: 2 }) })).toBe("applied");
    expect(mirror.patch({ ops: [{ op: "replace", path: "/n", value: 3 }], seq: 7 })).toBe("resync");
    expect(mirror.state).toEqual({ n: 2 });
  });

  it("a first connection that fails rejects connect() and leaves nothing retrying", async () => {
    const { error, sockets } = await socketsOpenedByFailedConnect(
      (url, WebSocket, backoff) => connect(url, { token: "dev:ada", WebSocket, backoff }),
      "/rooms",
    );
    expect(error).toBeInstanceOf(Error);
    expect(sockets).toBe(1);
  });

  it("bundles for the browser with no Node module", async () => {
    const { foreign, code } = await foreignInputs(
      "rooms-client/index.ts",
      /^(rooms-client\/|src\/rooms\/wire\/|provider\/backoff\.ts|node_modules\/@msgpack\/msgpack\/)/,
    );
    expect(foreign).toEqual([]);
    expect(code).not.toMatch(/\brequire\(|from ["']node:/);
  });
});
