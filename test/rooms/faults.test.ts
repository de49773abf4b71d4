/** Room logic that misbehaves never takes the process down, and never leaves a room half made. */
import { afterEach, describe, expect, it } from "vitest";
import { defineRoomType } from "../../src/rooms/index.js";
import { cleanupAll } from "../helpers/server.js";
import { Mirror, rawClient, startRooms } from "./helpers.js";

afterEach(cleanupAll);

describe("rooms: faults in room logic", () => {
  it("a state that is not JSON (a BigInt) is logged and rolled back to the last state sent; the room goes on", async () => {
    const careless = defineRoomType<{ n: number; big?: unknown }>({
      onCreate() {
        this.state = { n: 0 };
      },
      onInput(input) {
        if (input.type === "big") this.state.big = 10n;
        else this.state.n++;
      },
    });
    const server = await startRooms({ careless });
    const client = rawClient(server);
    await client.handshake();
    await client.request("room.join_or_create", { room_type: "careless", room: "c" });
    const mirror = new Mirror();
    mirror.apply(await client.expect("state.snapshot"));
    client.send("room.message", { room: "c", type: "big" });
    client.send("state.resync", { room: "c" }); // flushes first: the BigInt is refused there
    const snapshot = await client.expect("state.snapshot");
    expect(snapshot.p).toMatchObject({ seq: 0, state: { n: 0 } });
    client.send("room.message", { room: "c", type: "inc" });
    mirror.apply(await client.expect("state.patch"));
    expect(mirror.state).toEqual({ n: 1 });
    expect(server.logs.some((entry) => entry.event === "rooms.state_invalid" && entry.level === "error")).toBe(true);
  });

  it("an onCreate that throws leaves no half-made room: the next join runs it again", async () => {
    let attempts = 0;
    const shaky = defineRoomType<{ attempt: number }>({
      async onCreate() {
        attempts++;
        if (attempts === 1) throw new Error("no luck the first time");
        this.state = { attempt: attempts };
      },
    });
    const server = await startRooms({ shaky });
    const client = rawClient(server);
    await client.handshake();
    expect(await client.request("room.join_or_create", { room_type: "shaky", room: "s" })).toMatchObject({ ok: false, reason: expect.stringMatching(/could not be joined \(1011/) });
    expect(await client.request("room.join_or_create", { room_type: "shaky", room: "s" })).toMatchObject({ ok: true, seq: 0 });
    expect((await client.expect("state.snapshot")).p.state).toEqual({ attempt: 2 });
  });

  it("a throwing onTick is logged, and ticking goes on", async () => {
    let ticks = 0;
    const ticking = defineRoomType<{ ticks: number }>({
      tickMs: 5,
      onCreate() {
        this.state = { ticks: 0 };
      },
      onTick() {
        ticks++;
        if (ticks === 1) throw new Error("tick bug");
        this.state.ticks = ticks;
      },
    });
    const server = await startRooms({ ticking });
    const client = rawClient(server);
    await client.handshake();
    await client.request("room.join_or_create", { room_type: "ticking", room: "t" });
    await client.expect("state.patch", (p) => p.ops.some((op: { path: string; value: number }) => op.path === "/ticks" && op.value >= 3));
    expect(server.logs.some((entry) => entry.event === "room.hook_failed" && entry.hook === "onTick")).toBe(true);
  });
});
