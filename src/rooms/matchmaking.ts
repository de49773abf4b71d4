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
 * Rule checks one call may spend on backtracking, over all anchors. The search's first descent is the greedy pick
 * (each ticket in order joins while it fits everyone in the group), which it always finishes; it backtracks only
 * while checks are left, so a large pool costs what the greedy pick does plus this. Past it, a group the greedy pick
 * misses waits until the pool changes.
 */
export const GROUP_SEARCH_BUDGET = 100_000;

/**
 * The first group of `size` tickets of distinct players that all fit each other pairwise: each ticket in arrival
 * order is tried as the anchor, with the tickets after it that fit it, older first. (An anchor with no group is in
 * no group, so a later anchor looks at the tickets after it only.)
 */
export function formGroup<T extends WaitingTicket>(waiting: readonly T[], size: number, fits: TicketFit<T> = () => true, now = Date.now()): T[] | undefined {
  let budget = GROUP_SEARCH_BUDGET;
  for (let anchor = 0; anchor + size <= waiting.length; anchor++) {
    const first = waiting[anchor]!;
    const candidates = waiting.slice(anchor + 1).filter((ticket) => ticket.player !== first.player && fits(first, ticket, now));
    const group = [first];
    const fitsGroup = (candidate: T) => {
      budget -= group.length - 1;
      return group.every((member, k) => k === 0 || (member.player !== candidate.player && fits(member, candidate, now)));
    };
    /** Fills the group from `candidates[from…]`; false when it cannot (or the budget ran out). */
    const extend = (from: number): boolean => {
      if (group.length === size) return true;
      for (let i = from; i + size - group.length <= candidates.length; i++) {
        if (!fitsGroup(candidates[i]!)) continue;
        group.push(candidates[i]!);
        if (extend(i + 1)) return true;
        group.pop();
        if (budget <= 0) return false; // no checks left for other picks: as the greedy pick, this anchor has no group
      }
      return false;
    };
    if (extend(0)) return group;
  }
  return undefined;
}
