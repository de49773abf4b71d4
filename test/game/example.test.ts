/** examples/game as a user runs it: `yparty dev --config examples/game/yparty.json`, raw `ws` clients, the REST API. */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { copyFixture, deferredCleanups, serveIn, repoRoot, tempDir } from "../cli/helpers.js";
import type { TestServer } from "../helpers/server.js";
import { gameClient } from "./helpers.js";

const defer = deferredCleanups(afterEach);

describe("examples/game under yparty dev", () => {
  it("serves /ws and /api: dev:<player> tokens, mode arena of 2, state at 10 ticks/s, move, finish", async () => {
    const project = await copyFixture("game", path.join(repoRoot, "examples"));
    defer(project.remove);
    const { cli, url } = await serveIn(defer, "dev", project.dir, ["--config", "yparty.json"]);
    expect(cli.stdout).toContain("yparty:game (game.ts)");
    const server = { url, wsUrl: (p: string) => url.replace(/^http/, "ws") + p } as TestServer;

    const refused = gameClient(server);
    expect((await refused.request("session.connect", { token: "ada" })).type).toBe("error");
    expect((await refused.client.closed).code).toBe(4401);

    const ada = gameClient(server);
    const bob = gameClient(server);
    await ada.connect("ada");
    await bob.connect("bob");
    await ada.request("matchmaker.add", { mode: "arena", properties: { skill: 1200 } });
    await bob.request("matchmaker.add", { mode: "arena", properties: { skill: 900 } });
    const matched = await ada.expect("matchmaker.matched");
    expect(matched.payload.players).toEqual(["ada", "bob"]);
    for (const client of [ada, bob]) await client.request("match.join", { match_id: matched.payload.match_id });
    expect((await bob.expect("match.started")).payload).toEqual({ match_id: matched.payload.match_id, players: ["ada", "bob"] });
    ada.send("match.input", { action: "move", x: 3, y: 4 });
    const first = await bob.expect("match.state", (p) => p.players.ada?.x === 3);
    const tenLater = await bob.expect("match.state", (p) => p.tick === first.payload.tick + 10);
    expect(tenLater.payload).toEqual({ tick: first.payload.tick + 10, players: { ada: { x: 3, y: 4 }, bob: { x: 0, y: 0 } } });
    bob.send("match.input", { action: "finish" });
    expect((await ada.expect("match.finished")).payload).toEqual({ match_id: matched.payload.match_id, result: { winner: "bob" } });

    const friends = await fetch(`${url}/api/friends`, { headers: { authorization: "Bearer dev:ada" } });
    expect(await friends.json()).toEqual({ friends: [] });
    expect((await fetch(`${url}/api/friends`)).status).toBe(401);
  });
});

describe("examples/game under yparty dev: reload", () => {
  it("a change to the match reloads it: sessions rejoin their match by themselves, the match goes on, the new code runs", async () => {
    const project = await copyFixture("game", path.join(repoRoot, "examples"));
    defer(project.remove);
    const { cli, url } = await serveIn(defer, "dev", project.dir, ["--config", "yparty.json"]);
    const server = { url, wsUrl: (p: string) => url.replace(/^http/, "ws") + p } as TestServer;
    const ada = gameClient(server);
    await ada.connect("ada");
    await ada.request("match.join", { match_id: "kept.arena" });
    const tick = (await ada.expect("match.state")).payload.tick as number;

    const file = path.join(project.dir, "game.ts");
    await writeFile(file, (await readFile(file, "utf8")).replace("return ctx.finish({ winner: player });", "return ctx.finish({ winner: player, v2: true });"));
    await cli.waitFor(/dev\.reloaded/);
    // The match goes on after the reload: its stored tick count carries on, and inputs reach the reloaded room.
    // (A reload closes the room's connections: the logic saw ada leave and join again, as after a restart.)
    ada.send("match.input", { action: "move", x: 7, y: 1 });
    const after = await ada.expect("match.state", (p) => p.players.ada?.x === 7, 20_000);
    expect(after.payload.tick).toBeGreaterThan(tick);
    ada.send("match.input", { action: "finish" });
    expect((await ada.expect("match.finished", undefined, 10_000)).payload.result).toEqual({ winner: "ada", v2: true });
    expect(ada.received.filter((m) => m.type === "error")).toEqual([]);
  });
});

describe("the game config field", () => {
  it("takes a module (string) or {entry, path, apiPath}; a path inside /parties/, the rooms path, or a missing module is refused, naming the field", async () => {
    const { resolveProject } = await import("../../src/cli/config/resolve.js");
    const temp = await tempDir();
    defer(temp.remove);
    await writeFile(path.join(temp.dir, "game.ts"), "export default {};\n");
    await writeFile(path.join(temp.dir, "rooms.ts"), "export default {};\n");
    const config = async (fields: Record<string, unknown>) => {
      await writeFile(path.join(temp.dir, "yparty.json"), JSON.stringify(fields));
      return resolveProject({ cwd: temp.dir });
    };
    const entry = path.join(temp.dir, "game.ts");
    expect((await config({ game: "game.ts" })).game).toEqual({ entry, path: "/ws", apiPath: "/api" });
    expect((await config({ game: { entry: "game.ts", path: "/play", apiPath: "/v2" } })).game).toEqual({ entry, path: "/play", apiPath: "/v2" });
    await expect(config({ game: { entry: "game.ts", apiPath: "/parties/x" } })).rejects.toThrow(
      /game\.apiPath: "\/parties\/x" must start with "\/" and lie outside/,
    );
    await expect(config({ game: { entry: "game.ts", path: "/same" }, rooms: { entry: "rooms.ts", path: "/same" } })).rejects.toThrow(
      /game\.path: "\/same" is rooms\.path too/,
    );
    await expect(config({ game: "nope.ts" })).rejects.toThrow(/game\.entry: file not found/);
  });
});
