/**
 * How the match's votes ended while the session had no socket (its seat kept for `reconnectWindowMs`): the frames a
 * rejoin does not tell again. `match.join` again re-sends `match.started`, the votes still open and
 * `match.finished`; a `match.vote_result` or `match.vote_vetoed` is sent once, so the session keeps it for the
 * player's next socket. Bounded as the match keeps closed votes (`KEPT_VOTES`): past it the oldest go.
 */
import { GameMessage } from "./wire.js";
import { KEPT_VOTES } from "./vote-book.js";

const OUTCOMES: ReadonlySet<string> = new Set([GameMessage.VoteResult, GameMessage.VoteVetoed]);

export class AwayOutcomes {
  #frames: string[] = [];

  /** A match frame that reached the session without a socket: kept if it says how a vote ended. */
  hold(type: string, frame: string): void {
    if (!OUTCOMES.has(type)) return; // the rest is re-sent by the rejoin (or superseded: match.state, tallies)
    this.#frames.push(frame);
    if (this.#frames.length > KEPT_VOTES) this.#frames.shift();
  }

  /** What was kept, oldest first; forgets it. */
  take(): string[] {
    return this.#frames.splice(0);
  }

  /** The seat is gone (left, lost, ended): what it kept is of no match the player is in. */
  clear(): void {
    this.#frames = [];
  }
}
