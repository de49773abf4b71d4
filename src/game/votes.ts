/**
 * Votes of a match, as pure functions over a vote record: checking a vote's spec and a ballot, the running tallies
 * and the result. Methods:
 * - `plurality`: one option per player (`option_id` a string); the most votes wins.
 * - `approval`: any non-empty set of options per player (`option_id` a list); the most approvals wins.
 * - `weighted`: as plurality, each ballot counting the player's weight (`weights`, default 1).
 * - `ranked`: a preference order per player (`option_id` a list, best first, not necessarily complete); instant
 *   runoff: while no option has more than half of the ballots still counting, the option with the fewest is
 *   eliminated and its ballots go to their next preference. Tallies show first preferences; the result's counts
 *   are those of the last round.
 * Ties (deterministic): the option listed first in the vote's `options` wins; in a runoff, of the options tied for
 * fewest, the one listed last is eliminated. No ballot: `winner` null.
 * `distribution` is each option's share of all counts, and `turnout` the share of the match's players who voted,
 * both truncated to three decimals (as the seed's example: 2 of 3 is 0.666).
 */
import type { VoteResult } from "./messages.js";
import { isRecord } from "./wire.js";

export const VOTE_METHODS = ["plurality", "approval", "ranked", "weighted"] as const;
export type VoteMethod = (typeof VOTE_METHODS)[number];
export type VoteVisibility = "live" | "hidden";

export interface VoteOption {
  id: string;
  label: string;
}

/** What the match logic passes to `ctx.startVote`. */
export interface VoteSpec {
  options: VoteOption[];
  method?: VoteMethod;
  window_ms: number;
  /** `live`: `match.vote_tally` after each cast. Default `hidden`. */
  visibility?: VoteVisibility;
  veto_enabled?: boolean;
  /** `weighted`: player → weight (default 1). */
  weights?: Record<string, number>;
}

export interface VoteRecord {
  vote_id: string;
  options: VoteOption[];
  method: VoteMethod;
  window_ms: number;
  visibility: VoteVisibility;
  veto_enabled: boolean;
  /** Player → weight (`weighted`; a Map: player ids are any strings, `__proto__` and `constructor` too). */
  weights: Map<string, number>;
  /** `Date.now()` when the window closes. */
  closes_at: number;
  /** The players of the match when it started (turnout is over them). */
  eligible: string[];
  /** Player → the options of their ballot (one for plurality and weighted; in order of preference for ranked). */
  ballots: Map<string, string[]>;
  status: "open" | "closed" | "vetoed";
  /** The player whose input started it (`ctx.startVote` called from `onInput`), if any. */
  started_by?: string;
  vetoed_by?: string;
  result?: VoteResult;
}

export type { VoteResult };

export const MAX_VOTE_OPTIONS = 32;
export const MAX_VOTE_WINDOW_MS = 24 * 60 * 60 * 1000;

/** A vote record from a spec; throws a `TypeError` naming what is wrong. */
export function newVote(voteId: string, spec: unknown, eligible: string[], now: number): VoteRecord {
  if (!isRecord(spec)) throw new TypeError("a vote needs {options, method, window_ms}");
  const { options, method = "plurality", window_ms: windowMs, visibility = "hidden", veto_enabled: vetoEnabled = false, weights = {} } = spec;
  if (!Array.isArray(options) || options.length < 2 || options.length > MAX_VOTE_OPTIONS)
    throw new TypeError(`options must be a list of 2 to ${MAX_VOTE_OPTIONS} {id, label}`);
  const ids = new Set<string>();
  for (const option of options) {
    if (
      !isRecord(option) ||
      typeof option.id !== "string" ||
      option.id === "" ||
      option.id.length > 64 ||
      option.id === "__proto__" ||
      typeof option.label !== "string" ||
      option.label.length > 256
    ) {
      throw new TypeError('each option must be {id: a non-empty string of at most 64 characters, not "__proto__", label: a string of at most 256}');
    }
    if (ids.has(option.id)) throw new TypeError(`option "${option.id}" is listed twice`);
    ids.add(option.id);
  }
  if (!(VOTE_METHODS as readonly unknown[]).includes(method)) throw new TypeError(`method must be one of ${VOTE_METHODS.join(", ")}`);
  if (typeof windowMs !== "number" || !Number.isInteger(windowMs) || windowMs < 1 || windowMs > MAX_VOTE_WINDOW_MS)
    throw new TypeError(`window_ms must be an integer from 1 to ${MAX_VOTE_WINDOW_MS}`);
  if (visibility !== "live" && visibility !== "hidden") throw new TypeError('visibility must be "live" or "hidden"');
  if (typeof vetoEnabled !== "boolean") throw new TypeError("veto_enabled must be a boolean");
  if (!isRecord(weights) || !Object.values(weights).every((w) => typeof w === "number" && Number.isFinite(w) && w >= 0))
    throw new TypeError("weights must map players to finite numbers ≥ 0");
  const weightOf = new Map(Object.entries(weights as Record<string, number>));
  // A vote nobody's ballot could count in would close with no winner whatever is cast: refused, not started.
  if (method === "weighted" && eligible.length > 0 && eligible.every((player) => (weightOf.get(player) ?? 1) === 0))
    throw new TypeError("weights: every player of the match weighs 0, so no ballot could count");
  return {
    vote_id: voteId,
    options: (options as VoteOption[]).map(({ id, label }) => ({ id, label })),
    method: method as VoteMethod,
    window_ms: windowMs,
    visibility,
    veto_enabled: vetoEnabled,
    weights: weightOf,
    closes_at: now + windowMs,
    eligible,
    ballots: new Map(),
    status: "open",
  };
}

/** The ballot `option_id` makes for `vote`, as a list of option ids; throws a `TypeError` naming what is wrong. */
export function checkBallot(vote: VoteRecord, optionId: unknown): string[] {
  const list = typeof optionId === "string" ? [optionId] : optionId;
  const single = vote.method === "plurality" || vote.method === "weighted";
  const expected = single ? "an option id" : "a non-empty list of distinct option ids";
  if (!Array.isArray(list) || list.length === 0 || (single && list.length !== 1)) throw new TypeError(`option_id must be ${expected} (method ${vote.method})`);
  const known = new Set(vote.options.map((option) => option.id));
  const seen = new Set<string>();
  for (const id of list) {
    if (typeof id !== "string" || !known.has(id))
      throw new TypeError(`option_id: "${String(id)}" is not an option of vote "${vote.vote_id}" (${[...known].join(", ")})`);
    if (seen.has(id)) throw new TypeError(`option_id: "${id}" is listed twice`);
    seen.add(id);
  }
  return list as string[];
}

/** Counts so far (first preferences for ranked), every option present. */
export function tally(vote: VoteRecord): Record<string, number> {
  const counts = zeroCounts(vote);
  for (const [player, ballot] of vote.ballots) {
    const weight = vote.method === "weighted" ? (vote.weights.get(player) ?? 1) : 1;
    const counted = vote.method === "approval" ? ballot : ballot.slice(0, 1);
    for (const id of counted) counts[id] = counts[id]! + weight;
  }
  return counts;
}

export function voteResult(vote: VoteRecord): VoteResult {
  const counts = vote.method === "ranked" ? runoff(vote) : tally(vote);
  const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
  const distribution = Object.fromEntries(Object.entries(counts).map(([id, count]) => [id, total === 0 ? 0 : truncate(count / total)]));
  const voters = vote.ballots.size;
  return {
    vote_id: vote.vote_id,
    winner: total === 0 ? null : leader(vote, counts),
    counts,
    distribution,
    total_votes: voters,
    turnout: vote.eligible.length === 0 ? 0 : truncate(voters / vote.eligible.length),
  };
}

/** Instant runoff: the counts of the last round (eliminated options at 0). */
function runoff(vote: VoteRecord): Record<string, number> {
  const remaining = new Set(vote.options.map((option) => option.id));
  for (;;) {
    const counts = zeroCounts(vote);
    let counting = 0;
    for (const ballot of vote.ballots.values()) {
      const choice = ballot.find((id) => remaining.has(id));
      if (choice === undefined) continue; // exhausted
      counts[choice]!++;
      counting++;
    }
    const best = leader(vote, counts);
    if (remaining.size <= 1 || counting === 0 || counts[best]! * 2 > counting) return counts;
    // Fewest first; of those tied, the one listed last.
    let out: string | undefined;
    for (const { id } of vote.options) if (remaining.has(id) && (out === undefined || counts[id]! <= counts[out]!)) out = id;
    remaining.delete(out!);
  }
}

/** The option with the most, the first listed winning a tie. */
function leader(vote: VoteRecord, counts: Record<string, number>): string {
  let best = vote.options[0]!.id;
  for (const { id } of vote.options) if (counts[id]! > counts[best]!) best = id;
  return best;
}

function zeroCounts(vote: VoteRecord): Record<string, number> {
  return Object.fromEntries(vote.options.map((option) => [option.id, 0]));
}

function truncate(share: number): number {
  return Math.floor(share * 1000 + 1e-9) / 1000;
}
