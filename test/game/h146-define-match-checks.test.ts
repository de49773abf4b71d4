/**
 * defineMatch checks vetoTokensPerPlayer and startTimeoutMs as it checks tickRate and maxPlayers. Before, -1 tokens
 * passed h145's "veto_enabled needs tokens" check (a vote offered every client a veto none could use), 0.5 gave one
 * veto, and a startTimeoutMs of NaN or "30000" never started a match one matched player had not joined.
 */
import { expect, it } from "vitest";
import { defineMatch } from "../../src/game/index.js";

const base = { tickRate: 20, init: () => ({}) };

it("vetoTokensPerPlayer must be an integer of at least 0; startTimeoutMs milliseconds of at least 0", () => {
  for (const bad of [-1, 0.5, Number.NaN, "2"])
    expect(() => defineMatch({ ...base, vetoTokensPerPlayer: bad as number })).toThrow(/vetoTokensPerPlayer must be an integer of at least 0/);
  for (const bad of [-1, Number.NaN, "30000"])
    expect(() => defineMatch({ ...base, startTimeoutMs: bad as number })).toThrow(/startTimeoutMs must be milliseconds/);
  for (const good of [0, 2]) expect(defineMatch({ ...base, vetoTokensPerPlayer: good }).vetoTokensPerPlayer).toBe(good);
  for (const good of [0, 5_000, Number.POSITIVE_INFINITY]) expect(defineMatch({ ...base, startTimeoutMs: good }).startTimeoutMs).toBe(good);
});
