/**
 * Votes across a restart with the players' seats kept (69e01b5: the room's one alarm is shared by the votes and the
 * kept seats): two votes open, nobody comes back; each closes by the alarm at its own time, and the seats' alarm is
 * still armed after them.
 */
import { afterEach, describe, expect, it } from "vitest";
import example from "../../examples/game/game.js";
import { ALARMS_KV_NAME } from "../../src/runtime/alarms.js";
import { cleanupAll, pollUntil } from "../helpers/server.js";
import { inStartedArena, players, startGame } from "./helpers.js";

afterEach(cleanupAll);

const OPTIONS = [
  { id: "jungle", label: "Jungle Path" },
  { id: "volcano", label: "Volcano Path" },
];

describe("votes across a restart, seats kept", () => {
  it("two open votes close by the alarm at their times with nobody back; the seats' alarm stays armed", async () => {
    const server = await startGame({ ...example, server: { storage: "leveldb" } });
    const [ada, bob] = await players(server, "ada", "bob");
    const matchId = await inStartedArena([ada!, bob!]);
    const vote = (window_ms: number) => ({ action: "call_vote", options: OPTIONS, method: "plurality", window_ms, visibility: "live", veto_enabled: false });
    ada!.send("match.input", vote(400));
    const first = await bob!.expect("match.vote_start");
    bob!.send("match.input", vote(900));
    const second = await ada!.expect("match.vote_start", (p) => p.vote_id !== first.payload.vote_id);
    const stoppedAt = Date.now();
    const restarted = await server.restart(); // ada and bob seated: their seats are kept 30 s (the rooms' default)
    const name = `game-match.arena/${matchId}`;
    const kv = restarted.server.storage.kv(name);
    const status = async (voteId: string) => ((await kv.get(`game.vote.${voteId}`)) as { status: string } | undefined)?.status;
    for (const voteId of [first.payload.vote_id, second.payload.vote_id] as string[]) {
      await pollUntil(`vote ${voteId} to close by the alarm`, async () => ((await status(voteId)) === "closed" ? true : undefined), 5_000);
    }
    // The seats' alarm (~30 s after the stop) is what is armed now: the room comes back for them.
    const record = (await restarted.server.storage.kv(ALARMS_KV_NAME).get(name)) as { time: number; running?: true } | undefined;
    expect(record?.running).toBeUndefined();
    expect(record?.time).toBeGreaterThanOrEqual(stoppedAt + 29_000);
  });
});
