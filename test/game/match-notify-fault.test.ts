/**
 * A `ctx.notify` the match logic fires and forgets (not awaited, no catch) that fails: on Node 20 an unhandled
 * rejection ends the process, so the failure is logged (`game.notify_failed`) and the match goes on.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupAll } from "../helpers/server.js";
import { defineMatch } from "../../src/game/index.js";
import { players, startGame } from "./helpers.js";

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

afterEach(async () => {
  process.off("unhandledRejection", onUnhandled);
  await cleanupAll();
});

describe("a fire-and-forget ctx.notify that fails", () => {
  it("is logged, not an unhandled rejection, and the match goes on", async () => {
    process.on("unhandledRejection", onUnhandled);
    const notifying = defineMatch<Record<string, never>>({
      tickRate: 20,
      init: () => ({}),
      onInput(_state, { player }, ctx) {
        void ctx.notify(player, { type: "gift", subject: "" }); // refused by the player room (an empty subject)
      },
    });
    const server = await startGame({ matches: { notifying } });
    const [ada] = await players(server, "ada");
    await ada.request("match.join", { match_id: "forget.notifying" });
    await ada.expect("match.started");
    ada.send("match.input", {});
    await expect.poll(() => server.logs.some((entry) => entry.event === "game.notify_failed"), { timeout: 2_000 }).toBe(true);
    // Node emits unhandledRejection once the microtasks of the turn that rejected are done: a turn later at most.
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled).toEqual([]);
    const first = (await ada.expect("match.state")).payload;
    expect(first).toEqual({});
  });
});
