/**
 * A game client that stops reading in a match sending it a large state 60 times a second: what the server queues for
 * it is bounded (closed 4008 past the runtime's maxSendBufferBytes), the other player of its match and the players of
 * another match keep getting every state meanwhile, and the stalled player, back on a new socket within the reconnect
 * window, takes its seat again.
 */
import { afterEach, describe, expect, it } from "vitest";
import { defineMatch } from "../../src/game/index.js";
import { cleanupAll, waitFor } from "../helpers/server.js";
import { players, startGame } from "./helpers.js";

afterEach(cleanupAll);

const blob = "z".repeat(64 * 1024);
const loud = defineMatch<{ tick: number; blob: string }>({
  tickRate: 60,
  init: () => ({ tick: 0, blob }),
  onTick(state) {
    state.tick++;
  },
});

describe("a game client that never reads", () => {
  it("is closed 4008 once 512 KiB wait for it (beyond the kernel's buffers); the others keep their states; it comes back to its seat", async () => {
    const server = await startGame({ matches: { loud }, server: { limits: { maxSendBufferBytes: 512 * 1024 } } });
    const [stalled, mate, other] = await players(server, "stalled", "mate", "other");
    for (const client of [stalled!, mate!]) expect((await client.request("match.join", { match_id: "a.loud" })).type).toBe("match.join");
    expect((await other!.request("match.join", { match_id: "b.loud" })).type).toBe("match.join");
    await stalled!.expect("match.state");
    stalled!.client.ws.pause();
    const from = (await mate!.expect("match.state")).payload.tick as number;
    const otherFrom = (await other!.expect("match.state")).payload.tick as number;
    // 64 KiB × 60 a second: past 512 KiB beyond the kernel's buffers within seconds.
    await server.logged("socket.send_buffer_full", 20_000);
    stalled!.client.ws.resume();
    const closed = waitFor(stalled!.client.closed, "the stalled client's close", 10_000);
    expect((await closed).code).toBe(4008);
    // Every tick since reached the others, in order.
    const mateNext = await mate!.expect("match.state", (p) => p.tick >= from + 60, 10_000);
    const otherNext = await other!.expect("match.state", (p) => p.tick >= otherFrom + 60, 10_000);
    expect([mateNext.payload.tick, otherNext.payload.tick].every((tick) => Number.isInteger(tick))).toBe(true);
    const ticks = mate!.received.filter((m) => m.type === "match.state").map((m) => m.payload.tick as number);
    expect(ticks).toEqual([...ticks].sort((a, b) => a - b));

    const [back] = await players(server, "stalled");
    expect((await back!.request("match.join", { match_id: "a.loud" })).type).toBe("match.join");
    expect((await back!.expect("match.started")).payload.players).toEqual(["stalled", "mate"]);
  }, 30_000);
});
