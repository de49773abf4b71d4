/**
 * The votes of one match room, kept in its `room.storage` (one key) and closed by the room's alarm, set to the
 * earliest open window: the alarm is stored, so a vote closes on time across a restart. A cast or a veto is written
 * before it is acknowledged; a start or a result is announced as the write begins (a crash in between loses it,
 * never an acknowledged ballot). Closed votes are kept (the last `KEPT_VOTES`) so a late cast learns the vote is
 * closed rather than unknown.
 */
import type { Storage } from "../runtime/index.js";
import { newVote, type VoteRecord } from "./votes.js";

const VOTES_KEY = "game.votes";
const KEPT_VOTES = 64;

interface StoredVotes {
  votes: Record<string, VoteRecord>;
  /** Player → vetoes used in this match. */
  vetoesUsed: Record<string, number>;
  /** Votes started so far (vote ids are `v1`, `v2`, … per match). */
  started: number;
}

export class VoteBook {
  #data: StoredVotes = { votes: {}, vetoesUsed: {}, started: 0 };
  #loading: Promise<void> | undefined;
  #loaded = false;

  constructor(private readonly storage: Storage) {}

  /** Reads the stored votes once (every hook that touches votes awaits it first). */
  load(): Promise<void> {
    return (this.#loading ??= this.storage.get<StoredVotes>(VOTES_KEY).then((stored) => {
      if (stored) this.#data = stored;
      this.#loaded = true;
    }));
  }

  get loaded(): boolean {
    return this.#loaded;
  }

  get(voteId: string): VoteRecord | undefined {
    return this.#data.votes[voteId];
  }

  open(): VoteRecord[] {
    return Object.values(this.#data.votes).filter((vote) => vote.status === "open");
  }

  vetoesUsed(player: string): number {
    return this.#data.vetoesUsed[player] ?? 0;
  }

  /** A new open vote (`newVote` checks the spec and throws its reason). */
  start(spec: unknown, eligible: string[], now: number): { vote: VoteRecord; saved: Promise<void> } {
    const vote = newVote(`v${this.#data.started + 1}`, spec, eligible, now);
    this.#data.started++;
    this.#data.votes[vote.vote_id] = vote;
    const ids = Object.keys(this.#data.votes);
    for (const id of ids.slice(0, Math.max(0, ids.length - KEPT_VOTES))) if (this.#data.votes[id]!.status !== "open") delete this.#data.votes[id];
    return { vote, saved: this.#save() };
  }

  cast(vote: VoteRecord, player: string, ballot: string[]): Promise<void> {
    vote.ballots[player] = ballot; // a recast replaces the earlier ballot
    return this.#save();
  }

  veto(vote: VoteRecord, player: string): Promise<void> {
    vote.status = "vetoed";
    vote.vetoed_by = player;
    this.#data.vetoesUsed[player] = this.vetoesUsed(player) + 1;
    return this.#save();
  }

  /** Closes the open votes whose window has passed (`close` gives each its result); returns them. */
  async closeDue(now: number, close: (vote: VoteRecord) => void): Promise<VoteRecord[]> {
    const due = this.open().filter((vote) => vote.closes_at <= now);
    for (const vote of due) {
      vote.status = "closed";
      close(vote);
    }
    if (due.length > 0) await this.#save();
    else await this.#arm();
    return due;
  }

  async #save(): Promise<void> {
    await this.storage.put(VOTES_KEY, this.#data);
    await this.#arm();
  }

  /** The alarm at the earliest open window's end, or none. */
  async #arm(): Promise<void> {
    const next = Math.min(...this.open().map((vote) => vote.closes_at));
    if (Number.isFinite(next)) await this.storage.setAlarm(next);
    else await this.storage.deleteAlarm();
  }
}
