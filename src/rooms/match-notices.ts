/**
 * A matchmaker's notice of a match (`match.found` of the rooms protocol, `matchmaker.matched` of the game's) that did
 * not reach its player: its socket dropped while the match's seats were being stored (match-seats.ts: the players are
 * told only after), so the matchmaker's link to its session was closed, or the session had no open socket when the
 * frame came. The match holds the player's seat for the resume window all the same, so the frame is kept for the
 * player (not the session: a session with nothing to keep ends with its socket) and sent as soon as a session of that
 * player has a socket: at its handshake (a resume, or a new session with the same token), or at once if one has it
 * already. A notice goes when sent, or once its seat is no longer held for the player: the seats the match rooms hold
 * (held-seats.ts) say, and tell when the player joins (the notice goes then); those whose time is up go in the order of their
 * times, at the next notice or enqueue, so neither walks every notice held (which made keeping 2,000 notices one
 * after another take 362 ms, and each enqueue with them held 0.3-0.7 ms; now 32 ms and 3 µs: bench/match-notices.ts).
 * One told late is remembered while its seat is held for the player (`toldLate`):
 * a client back from the drop may enter that queue again before it reads the notice (the rooms client does, by
 * itself), and the session refuses that, so the player does not get a second match on top of it. One per protocol's
 * `MatchmakingState`, as those seats: it outlives the mounts a reload replaces (`yparty dev`), so a player back after a
 * rebuild, whose socket reaches the next mount, still gets the notice the mount before kept.
 */
import type { HeldSeats } from "./held-seats.js";
import { DueQueue } from "./due-queue.js";

export interface MatchNotice {
  /** The queue that made the match: the rooms protocol's room type, the game's mode. */
  queue: string;
  /** The match room's type (the game's match name), and its name: where its seats are held. */
  roomType: string;
  room: string;
  /** The notice as the matchmaker sends it (the protocol's envelope, JSON). */
  frame: string;
}

/** Sends a notice to the player's client; false when its socket is not open (then another session, or a later one, gets it). */
export type NoticeDelivery = (notice: MatchNotice) => boolean;

export class MatchNotices {
  readonly #held = new Map<string, MatchNotice[]>();
  /** Notices sent late (kept, or to a session other than the one that queued), while their seats are held. */
  readonly #told = new Map<string, MatchNotice[]>();
  /** The sessions of each player that have a socket. */
  readonly #listeners = new Map<string, Set<NoticeDelivery>>();
  /**
   * Each notice kept or told late, by the time its seat is held until: what is swept at each notice and enqueue is
   * those due, not every notice held (a player who joins frees its own at once: `RoomDirectory.onArrival`).
   */
  readonly #due = new DueQueue<{ player: string; notice: MatchNotice }>();

  constructor(private readonly seats: HeldSeats) {
    seats.onArrival((_roomType, _room, player) => this.#forgetGone(player));
  }

  /** `notice` did not reach `player`: sent to a session of it with a socket, else kept until one has. */
  hold(player: string, notice: MatchNotice): void {
    this.#forgetDue();
    const until = this.#heldUntil(player, notice);
    if (until === undefined) return;
    this.#due.push(until, { player, notice });
    for (const deliver of this.#listeners.get(player) ?? []) if (deliver(notice)) return this.#toldTo(player, notice);
    this.#held.set(player, [...(this.#held.get(player) ?? []), notice]);
  }

  /** A session of `player` has a socket: it gets what is kept for the player now, and what comes later. Returns its undo. */
  listen(player: string, deliver: NoticeDelivery): () => void {
    const live = (this.#held.get(player) ?? []).filter((notice) => this.#seatHeld(player, notice));
    const kept = live.filter((notice) => !deliver(notice));
    for (const notice of live) if (!kept.includes(notice)) this.#toldTo(player, notice);
    if (kept.length > 0) this.#held.set(player, kept);
    else this.#held.delete(player);
    let listeners = this.#listeners.get(player);
    if (!listeners) this.#listeners.set(player, (listeners = new Set()));
    listeners.add(deliver);
    return () => {
      listeners.delete(deliver);
      if (listeners.size === 0 && this.#listeners.get(player) === listeners) this.#listeners.delete(player);
    };
  }

  /** The match `queue` made for `player` that it was told late, while its seat is held for it (it has not joined). */
  toldLate(player: string, queue: string): MatchNotice | undefined {
    this.#forgetDue();
    this.#forgetGone(player);
    return this.#told.get(player)?.find((notice) => notice.queue === queue);
  }

  /**
   * Notices kept (not sent yet) and told late, all players together: at most one per seat held for its player (one
   * whose player joined goes at once, one whose time is up at the next notice or enqueue). Walks them all: for tests
   * and diagnostics, never on a player's way.
   */
  get size(): number {
    let count = 0;
    for (const byPlayer of [this.#held, this.#told]) for (const notices of byPlayer.values()) count += notices.length;
    return count;
  }

  #toldTo(player: string, notice: MatchNotice): void {
    this.#told.set(player, [...(this.#told.get(player) ?? []), notice]);
  }

  #seatHeld(player: string, notice: MatchNotice): boolean {
    return this.#heldUntil(player, notice) !== undefined;
  }

  /** Until when the seat `notice` is of is held for `player` (undefined: no longer: joined, or its time is up). */
  #heldUntil(player: string, notice: MatchNotice): number | undefined {
    return this.seats.seatHeldUntil(notice.roomType, notice.room, player);
  }

  /** The notices whose time is up (their players never came back, or came and did not join), oldest first. */
  #forgetDue(): void {
    const now = Date.now();
    for (const { player, notice } of this.#due.takeDue(now)) {
      const until = this.#heldUntil(player, notice);
      // Held longer than when it was kept (the match's room held its seats again): looked at again then. Only if later
      // than `now`: the seats read the clock again, and one stepped back since would make it due again at once.
      if (until !== undefined && until > now) this.#due.push(until, { player, notice });
      else this.#forget(player, (kept) => kept !== notice);
    }
  }

  /** `player`'s notices whose seats are no longer held for it (it joined, or their time is up). */
  #forgetGone(player: string): void {
    this.#forget(player, (notice) => this.#seatHeld(player, notice));
  }

  /** Keeps of `player`'s notices those `keep` says. */
  #forget(player: string, keep: (notice: MatchNotice) => boolean): void {
    for (const byPlayer of [this.#held, this.#told]) {
      const notices = byPlayer.get(player);
      if (!notices) continue;
      const live = notices.filter(keep);
      if (live.length > 0) byPlayer.set(player, live);
      else byPlayer.delete(player);
    }
  }
}
