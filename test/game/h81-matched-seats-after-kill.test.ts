/**
 * `yparty start` killed (SIGKILL) right after `matchmaker.matched`, before anyone joined the match: started again on
 * the same data folder, the match still holds its players' seats (a stranger is refused "full") and starts with both
 * (the seats were stored before the players were told; in memory only, the kill lost them).
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CliProcess, copyFixture, deferredCleanups, repoRoot } from "../cli/helpers.js";
import type { TestServer } from "../helpers/server.js";
import { gameClient, players } from "./helpers.js";

const defer = deferredCleanups(afterEach);

const duelGame = `import { defineGame, defineMatch } from "yparty/game";
const duel = defineMatch({ tickRate: 10, maxPlayers: 2, init: (_ctx, { players }) => ({ matched: players }) });
export default defineGame({ matches: { duel }, modes: { duel: { size: 2, match: "duel" } } });
`;

async function start(dir: string): Promise<{ cli: CliProcess; server: TestServer }> {
  const cli = new CliProcess(["start", "--port", "0", "--config", "yparty.json"], { cwd: dir });
  defer(() => cli.stop("SIGKILL"));
  const url = await cli.url();
  return { cli, server: { url, wsUrl: (p: string) => url.replace(/^http/, "ws") + p } as TestServer };
}

describe("a match made just before the server is killed", () => {
  it("still holds its players' seats when the server is back", async () => {
    const project = await copyFixture("game", path.join(repoRoot, "examples"));
    defer(project.remove);
    await writeFile(path.join(project.dir, "game.ts"), duelGame);
    const first = await start(project.dir);
    const [ada, bob] = await players(first.server, "ada", "bob");
    for (const client of [ada!, bob!]) await client.request("matchmaker.add", { mode: "duel", properties: {} });
    const matchId = (await ada!.expect("matchmaker.matched")).payload.match_id as string;
    expect(await first.cli.stop("SIGKILL")).toBe(null);

    const { server } = await start(project.dir);
    const carl = gameClient(server);
    await carl.connect("carl");
    expect(await carl.request("match.join", { match_id: matchId })).toMatchObject({ type: "error", payload: { reason: expect.stringMatching(/full/) } });
    const [adaAgain, bobAgain] = await players(server, "ada", "bob");
    for (const client of [adaAgain!, bobAgain!]) expect((await client.request("match.join", { match_id: matchId })).type).toBe("match.join");
    expect((await adaAgain!.expect("match.started")).payload.players).toEqual(["ada", "bob"]);
    expect((await adaAgain!.expect("match.state")).payload).toEqual({ matched: ["ada", "bob"] });
  });
});
