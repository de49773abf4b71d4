/**
 * Hostile frames and unfit state never take the process down (found by an adversarial run): frames nested thousands
 * deep (JSON.stringify and the MessagePack encoder recurse), a `__proto__` key (MessagePack clients cannot read it),
 * a state deeper than the encoder takes. Each gets a clear error or is rolled back; the other rooms go on.
 */
import { afterEach, describe, expect, it } from "vitest";
import { defineRoomType } from "../../src/rooms/index.js";
import { MAX_FRAME_DEPTH, MAX_STATE_DEPTH } from "../../src/rooms/wire/index.js";
import { cleanupAll } from "../helpers/server.js";
import { counter } from "./fixtures.js";
import { incAndFollow, joinCounter, Mirror, rawClient, startRooms } from "./helpers.js";

afterEach(cleanupAll);

const nested = (depth: number): unknown => {
  let value: unknown = 0;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
};
/** A frame nested `depth` deep written as text (JSON.stringify itself would overflow building it). */
const deepJson = (depth: number): string => `${"[".repeat(depth)}0${"]".repeat(depth)}`;

/** `set` replaces the state with what logic builds: `deep` nests it, `proto` gives it a `__proto__` key. */
const free = defineRoomType<unknown>({
  onCreate() {
    this.state = { n: 0 };
  },
  onInput(input) {
    if (input.type === "deep") this.state = { n: -1, deep: nested(MAX_STATE_DEPTH + 10) };
    else if (input.type === "proto") this.state = JSON.parse('{"n": -2, "__proto__": {"polluted": true}}');
    else if (input.type === "shout") this.broadcast("shout", nested(MAX_STATE_DEPTH + 10));
    else this.state = { n: (this.state as { n: number }).n + 1 };
  },
});

describe("rooms: hostile frames", () => {
  it("a frame nested 10,000 deep is refused as a bad frame (message, join options, handshake); the server and other rooms go on", async () => {
    const server = await startRooms({ counter });
    const bystander = await joinCounter(server, "calm", "dev:bystander");
    const attacker = await joinCounter(server, "target", "dev:mallory");
    const text = (t: string, p: string) => `{"t":"${t}","p":${p}}`;
    attacker.client.sendRaw(text("room.message", `{"room":"target","type":"inc","data":${deepJson(10_000)}}`));
    expect((await attacker.client.expect("error")).p.reason).toMatch(`nests deeper than ${MAX_FRAME_DEPTH} levels`);
    attacker.client.sendRaw(`{"t":"room.join_or_create","rid":7,"p":{"room_type":"counter","options":${deepJson(10_000)}}}`);
    expect((await attacker.client.expect("error")).p.reason).toMatch("nests deeper");
    // The attacker's connection and the room go on, and so does every other room
    await incAndFollow(attacker.client, attacker.mirror, "target", 1);
    await incAndFollow(bystander.client, bystander.mirror, "calm", 3);
    const late = rawClient(server);
    await late.client.opened;
    late.sendRaw(`{"t":"handshake","p":{"v":1,"codecs":["json"],"project_id":"x","token":"dev:z","x":${deepJson(10_000)}}}`);
    expect((await late.expect("error")).p.reason).toMatch("nests deeper");
    expect(await late.client.closed).toMatchObject({ code: 4400 });
  });

  it("a frame holding a __proto__ key is refused: MessagePack clients could not read it", async () => {
    const server = await startRooms({ counter });
    const { client } = await joinCounter(server, "p", "dev:a");
    client.sendRaw('{"t":"room.message","p":{"room":"p","type":"cursor","data":{"__proto__":{"x":1}}}}');
    expect((await client.expect("error")).p.reason).toMatch('holds the key "__proto__"');
  });
});

describe("rooms: state and messages no codec can carry", () => {
  it.each(["deep", "proto"])("a state made %s by the logic is rolled back; JSON and MessagePack members go on", async (kind) => {
    const server = await startRooms({ free });
    const members = [rawClient(server, "json"), rawClient(server, "msgpack")];
    const mirrors = [new Mirror(), new Mirror()];
    for (const [i, member] of members.entries()) {
      await member.handshake({ token: `dev:p${i}` });
      await member.request("room.join_or_create", { room_type: "free", room: "f" });
      mirrors[i]!.apply(await member.expect("state.snapshot"));
    }
    members[0]!.send("room.message", { room: "f", type: kind });
    members[0]!.send("state.resync", { room: "f" }); // flushes first: the unfit state is refused there
    expect((await members[0]!.expect("state.snapshot")).p).toMatchObject({ seq: 0, state: { n: 0 } });
    members[0]!.send("room.message", { room: "f", type: "inc" });
    for (const [i, member] of members.entries()) {
      mirrors[i]!.apply(await member.expect("state.patch"));
      expect(mirrors[i]!.state).toEqual({ n: 1 }); // the unfit state never went out; the next change did
    }
    expect(server.logs.some((entry) => entry.event === "rooms.state_invalid")).toBe(true);
  });

  it("a message the logic broadcasts too deep is a fault of that input: the sender is told, MessagePack members go on", async () => {
    const server = await startRooms({ free });
    const [sender, listener] = [rawClient(server, "json"), rawClient(server, "msgpack")];
    const mirror = new Mirror();
    for (const [i, member] of [sender, listener].entries()) {
      await member.handshake({ token: `dev:q${i}` });
      await member.request("room.join_or_create", { room_type: "free", room: "g" });
    }
    mirror.apply(await listener.expect("state.snapshot"));
    sender.send("room.message", { room: "g", type: "shout" });
    expect((await sender.expect("error", (p) => p.room === "g")).p.reason).toMatch(/closed the connection \(1011/);
    sender.send("room.message", { room: "g", type: "inc" }); // no longer in the room: refused, nothing changes
    const other = rawClient(server, "json");
    await other.handshake({ token: "dev:q9" });
    await other.request("room.join_or_create", { room_type: "free", room: "g" });
    await other.expect("state.snapshot");
    other.send("room.message", { room: "g", type: "inc" });
    mirror.apply(await listener.expect("state.patch"));
    expect(mirror.state).toEqual({ n: 1 });
  });
});

describe("rooms: asks that would make a room send its whole state over and over", () => {
  it("a flood of state.resync gets one snapshot at once and one, current, when minSnapshotIntervalMs is up", async () => {
    const server = await startRooms({ counter }, { limits: { minSnapshotIntervalMs: 300 } });
    const { client, mirror } = await joinCounter(server, "flood", "dev:a");
    for (let i = 0; i < 500; i++) client.send("state.resync", { room: "flood" });
    mirror.apply(await client.expect("state.snapshot"));
    await incAndFollow(client, mirror, "flood", 1); // answered before the coalesced snapshot is due
    const snapshots = () => client.received.filter((envelope) => envelope.t === "state.snapshot").length;
    expect(snapshots()).toBe(2); // the join's and the first ask's
    const late = await client.expect("state.snapshot");
    expect(late.p).toMatchObject({ seq: mirror.seq, state: mirror.state });
    await incAndFollow(client, mirror, "flood", 1);
    expect(snapshots()).toBe(3); // 500 asks, two snapshots
  });
});
