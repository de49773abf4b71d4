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
 * The first group of `size` tickets of distinct players that all fit each other: each ticket in arrival order is
 * tried as the anchor, and the tickets after it join the group while they fit everyone in it.
 */
export function formGroup<T extends WaitingTicket>(waiting: readonly T[], size: number, fits: TicketFit<T> = () => true, now = Date.now()): T[] | undefined {
  for (let anchor = 0; anchor + size <= waiting.length; anchor++) {
    const group = [waiting[anchor]!];
    for (let i = anchor + 1; i < waiting.length && group.length < size; i++) {
      const candidate = waiting[i]!;
      if (group.every((member) => member.player !== candidate.player && fits(member, candidate, now))) group.push(candidate);
    }
    if (group.length === size) return group;
  }
  return undefined;
}
