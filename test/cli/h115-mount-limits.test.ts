/**
 * The limits of a config's `rooms` or `game` module (`defineRooms({ limits })`, `defineGame({ limits })`) were taken
 * unchecked: a NaN, a negative or a misspelled name started a server that misbehaved later. Now the start fails,
 * exit 1, naming the module, the limit, the value and what it takes.
 */
import { afterEach, describe, expect, it } from "vitest";
import { deferredCleanups, projectWith, runCli } from "./helpers.js";

const defer = deferredCleanups(afterEach);

describe("a config's protocol module with a bad limit", () => {
  it("rooms: yparty dev exits 1 naming the module and the limit", async () => {
    const dir = await projectWith(defer, {
      "rooms.ts": `import { defineRoomType, defineRooms } from "yparty/rooms";
export default defineRooms({ types: { counter: defineRoomType({}) }, limits: { resumeWindowMs: -1 } });
`,
      "yparty.json": JSON.stringify({ rooms: "rooms.ts" }),
    });
    const result = await runCli(["dev", "--port", "0"], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('rooms.ts (rooms): Limit "resumeWindowMs" of createRooms must be a whole number from 0 to 2147483647');
    expect(result.stderr).toContain("got -1");
  });

  it("game: yparty start exits 1 naming the module and the limit", async () => {
    const dir = await projectWith(defer, {
      "game.ts": `import { defineGame, defineMatch } from "yparty/game";
export default defineGame({ matches: { arena: defineMatch({ tickRate: 10, init: () => ({}) }) }, limits: { sessionTimeoutMs: Number.NaN } });
`,
      "yparty.json": JSON.stringify({ game: "game.ts" }),
    });
    const result = await runCli(["start", "--port", "0", "--no-persist"], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('game.ts (game): Limit "sessionTimeoutMs" of createGame must be a whole number from 1 to 2147483647');
    expect(result.stderr).toContain("got NaN");
  });
});
