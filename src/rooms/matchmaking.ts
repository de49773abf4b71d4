/**
 * The matchmaker's core, shared by the rooms protocol's matchmaker (groups of one size) and seed 002's modes
 * (a size and property rules, e.g. a skill window that widens while tickets wait): which waiting tickets make a
 * group. Tickets are considered in arrival order, so the longest waiting are matched first.
 */

export interface WaitingTicket {
  player: string;
  /** `Date.now()` when it was queued (rules may widen with the wait). */
  since: number;
}

/** Whether two tickets may play together, `now` being the time of the check. */
export type TicketFit<T extends WaitingTicket> = (a: T, b: T, now: number) => boolean;

/**
 * Rule checks one search pass may spend (~3 ms at the shipped rules' ~30 ns a check). Each anchor's pick of the
 * tickets that fit it counts, as does each backtracking step; the pass's first anchor always finishes its first
 * descent (the greedy pick), so every pass gets on. Past it the pass stops, and says where (`SearchPass.at`), so a
 * matchmaker's next pass goes on from there: a pool of thousands costs a few ms a pass, not n² checks.
 */
export const SEARCH_PASS_CHECKS = 100_000;

/** One bounded search over a pool: the checks left and the anchor (index into the pool) it got to. */
export class SearchPass {
  /** The anchor the next `formGroup` call starts at: that of the last group found, or where the checks ran out. */
  at: number;
  checks: number;
  #anchors = 0;

  constructor(from = 0, checks = SEARCH_PASS_CHECKS) {
    this.at = from;
    this.checks = checks;
  }

  /** Starts the next anchor: false when the checks ran out (the pass's first anchor always starts). */
  startAnchor(): boolean {
    if (this.#anchors > 0 && this.checks <= 0) return false;
    this.#anchors++;
    return true;
  }

  /** Whether the anchor under way is the pass's first: it had all the pass's checks. */
  get onFirstAnchor(): boolean {
    return this.#anchors === 1;
  }
}

/**
 * The first group of `size` tickets of distinct players that all fit each other pairwise: each ticket in arrival
 * order from `pass.at` is tried as the anchor, with the tickets after it that fit it, older first. (An anchor with
 * no group is in no group, so a later anchor looks at the tickets after it only.) `undefined` when there is none
 * or the pass's checks ran out first (then `pass.at + size <= waiting.length`: the anchor the next pass starts at).
 */
export function formGroup<T extends WaitingTicket>(
  waiting: readonly T[],
  size: number,
  fits: TicketFit<T> = () => true,
  now = Date.now(),
  pass = new SearchPass(),
): T[] | undefined {
  for (; pass.at + size <= waiting.length; pass.at++) {
    if (!pass.startAnchor()) return undefined;
    const first = waiting[pass.at]!;
    const candidates: T[] = [];
    for (let i = pass.at + 1; i < waiting.length; i++) {
      const ticket = waiting[i]!;
      if (ticket.player !== first.player && fits(first, ticket, now)) candidates.push(ticket);
    }
    pass.checks -= waiting.length - pass.at - 1;
    const group = [first];
    const fitsGroup = (candidate: T) => {
      pass.checks -= group.length - 1;
      return group.every((member, k) => k === 0 || (member.player !== candidate.player && fits(member, candidate, now)));
    };
    /** Fills the group from `candidates[from…]`; false when it cannot (or the checks ran out). */
    const extend = (from: number): boolean => {
      if (group.length === size) return true;
      for (let i = from; i + size - group.length <= candidates.length; i++) {
        if (!fitsGroup(candidates[i]!)) continue;
        group.push(candidates[i]!);
        if (extend(i + 1)) return true;
        group.pop();
        if (pass.checks <= 0) return false; // no checks left for other picks: as the greedy pick, this anchor has no group
      }
      return false;
    };
    if (extend(0)) return group;
    // Cut short by the checks: the next pass starts at this anchor, with all of its checks (a pass that had them
    // all for it and still ran out moves on, as the greedy pick would: every pass gets on).
    if (pass.checks <= 0 && !pass.onFirstAnchor) return undefined;
  }
  pass.at = waiting.length;
  return undefined;
}
