/**
 * The votes of one match room, kept in its `room.storage` and closed by the room's alarm, set to the earliest open
 * window: the alarm is stored, so a vote closes on time across a restart. Each vote is stored under its own key
 * (`game.vote.{id}`), the book's counters under `game.votes`: a start, cast, veto or close writes what it changed,
 * never the whole book. A cast or a veto is written before it is acknowledged; a start or a result is announced as
 * the write begins (a crash in between loses it, never an acknowledged ballot). Closed votes are kept (the last
 * `KEPT_VOTES`) so a late cast learns the vote is closed rather than unknown.
 *
 * Open votes are bounded: at most `maxOpen` per match, and at most `maxOpenPerPlayer` started by one player's
 * inputs; past either, `start` throws. So the alarm's re-arming (a minimum over the open votes) and what a joiner is
 * sent are bounded too.
 */
import type { Storage } from "../runtime/index.js";
import { newVote, type VoteRecord } from "./votes.js";

const META_KEY = "game.votes";
const VOTE_PREFIX = "game.vote.";
export const KEPT_VOTES = 64;

interface StoredMeta {
  /** Player → vetoes used in this match (stored as a Map: player ids are any strings, `__proto__` too). */
  vetoesUsed: Map<string, number>;
  /** Votes started so far (vote ids are `v1`, `v2`, … per match). */
  started: number;
  /** Every vote, in one key: the layout before each vote had its own (read once, then moved). */
  votes?: Record<string, VoteRecord>;
}

export interface VoteBookLimits {
  maxOpen: number;
  maxOpenPerPlayer: number;
}

/** A player-keyed Map, from a Map or from the plain object earlier versions stored (own keys only). */
function asMap<T>(stored: Map<string, T> | Record<string, T> | undefined): Map<string, T> {
  return stored instanceof Map ? stored : new Map(Object.entries(stored ?? {}));
}

const voteKey = (voteId: string): string => `${VOTE_PREFIX}${voteId}`;
const voteNumber = (vote: VoteRecord): number => Number(vote.vote_id.slice(1));

export class VoteBook {
  #meta: StoredMeta = { vetoesUsed: new Map(), started: 0 };
  /** Every kept vote, in start order. */
  readonly #votes = new Map<string, VoteRecord>();
  readonly #open = new Set<VoteRecord>();
  /** Closed and vetoed votes, oldest first (the first go when more than `KEPT_VOTES`). */
  readonly #closed: VoteRecord[] = [];
  /** The alarm this book set (the earliest open window's end), or none. */
  #alarmAt: number | undefined;
  #loading: Promise<void> | undefined;
  #loaded = false;

  constructor(
    private readonly storage: Storage,
    private readonly limits: VoteBookLimits,
  ) {}

  /** Reads the stored votes once (every hook that touches votes awaits it first). */
  load(): Promise<void> {
    return (this.#loading ??= this.#read());
  }

  async #read(): Promise<void> {
    const meta = await this.storage.get<StoredMeta>(META_KEY);
    let votes: VoteRecord[];
    if (meta?.votes) {
      // The earlier layout: move each vote to its own key.
      votes = Object.values(meta.votes);
      this.#meta = { vetoesUsed: asMap(meta.vetoesUsed), started: meta.started };
      await this.storage.put({ [META_KEY]: this.#meta, ...Object.fromEntries(votes.map((vote) => [voteKey(vote.vote_id), vote])) });
    } else {
      if (meta) this.#meta = { vetoesUsed: asMap(meta.vetoesUsed), started: meta.started };
      votes = [...(await this.storage.list<VoteRecord>({ prefix: VOTE_PREFIX })).values()];
    }
    for (const vote of votes.sort((a, b) => voteNumber(a) - voteNumber(b))) {
      vote.ballots = asMap(vote.ballots);
      vote.weights = asMap(vote.weights);
      this.#votes.set(vote.vote_id, vote);
      if (vote.status === "open") this.#open.add(vote);
      else this.#closed.push(vote);
    }
    this.#alarmAt = this.#earliest();
    this.#loaded = true;
  }

  get loaded(): boolean {
    return this.#loaded;
  }

  get(voteId: string): VoteRecord | undefined {
    return this.#votes.get(voteId);
  }

  /** The open votes, in start order (at most `maxOpen`). */
  open(): VoteRecord[] {
    return [...this.#open];
  }

  vetoesUsed(player: string): number {
    return this.#meta.vetoesUsed.get(player) ?? 0;
  }

  /**
   * A new open vote (`newVote` checks the spec and throws its reason; so do the limits on open votes). `starter`:
   * the player whose input started it, if any.
   */
  start(spec: unknown, eligible: string[], now: number, starter?: string): { vote: VoteRecord; saved: Promise<void> } {
    const { maxOpen, maxOpenPerPlayer } = this.limits;
    if (this.#open.size >= maxOpen) throw new TypeError(`${maxOpen} votes are open in this match already (maxOpenVotes): wait for one to close`);
    if (starter !== undefined) {
      let mine = 0;
      for (const vote of this.#open) if (vote.started_by === starter) mine++;
      if (mine >= maxOpenPerPlayer)
        throw new TypeError(`${maxOpenPerPlayer} votes started by "${starter}" are open already (maxOpenVotesPerPlayer): wait for one to close`);
    }
    const vote = newVote(`v${this.#meta.started + 1}`, spec, eligible, now);
    if (starter !== undefined) vote.started_by = starter;
    this.#meta.started++;
    this.#votes.set(vote.vote_id, vote);
    this.#open.add(vote);
    const earlier = this.#alarmAt === undefined || vote.closes_at < this.#alarmAt;
    if (earlier) this.#alarmAt = vote.closes_at;
    const saved = this.storage.put({ [META_KEY]: this.#meta, [voteKey(vote.vote_id)]: vote }).then(() => {
      if (earlier) return this.#arm(vote.closes_at);
    });
    return { vote, saved };
  }

  cast(vote: VoteRecord, player: string, ballot: string[]): Promise<void> {
    vote.ballots.set(player, ballot); // a recast replaces the earlier ballot
    return this.storage.put(voteKey(vote.vote_id), vote);
  }

  async veto(vote: VoteRecord, player: string): Promise<void> {
    vote.status = "vetoed";
    vote.vetoed_by = player;
    this.#meta.vetoesUsed.set(player, this.vetoesUsed(player) + 1);
    const pruned = this.#ended(vote);
    await this.#write([vote], pruned);
    if (vote.closes_at === this.#alarmAt) await this.#arm(this.#earliest());
  }

  /** Closes the open votes whose window has passed (`close` gives each its result); returns them. */
  async closeDue(now: number, close: (vote: VoteRecord) => void): Promise<VoteRecord[]> {
    const due = this.open().filter((vote) => vote.closes_at <= now);
    await this.#close(due, close);
    return due;
  }

  /**
   * The match finished: every open vote closes now, whatever its window (`close` gives each its result, at once: the
   * caller's next message comes after them). The write and the alarm's re-arming follow.
   */
  closeAll(close: (vote: VoteRecord) => void): Promise<void> {
    return this.#close(this.open(), close);
  }

  /** Marks `votes` closed and calls `close` for each (synchronously), then writes them and re-arms the alarm. */
  async #close(votes: VoteRecord[], close: (vote: VoteRecord) => void): Promise<void> {
    const pruned: string[] = [];
    for (const vote of votes) {
      vote.status = "closed";
      pruned.push(...this.#ended(vote));
      close(vote);
    }
    if (votes.length > 0) await this.#write(votes, pruned);
    await this.#arm(this.#earliest());
  }

  /** `vote` is no longer open; returns the ids of the closed votes no longer kept. */
  #ended(vote: VoteRecord): string[] {
    this.#open.delete(vote);
    this.#closed.push(vote);
    const pruned = this.#closed.splice(0, Math.max(0, this.#closed.length - KEPT_VOTES)).map((old) => old.vote_id);
    for (const id of pruned) this.#votes.delete(id);
    return pruned;
  }

  async #write(votes: VoteRecord[], pruned: string[]): Promise<void> {
    await this.storage.put({ [META_KEY]: this.#meta, ...Object.fromEntries(votes.map((vote) => [voteKey(vote.vote_id), vote])) });
    if (pruned.length > 0) await this.storage.delete(pruned.map(voteKey));
  }

  /** The earliest open window's end (at most `maxOpen` votes to look at), or undefined. */
  #earliest(): number | undefined {
    let next: number | undefined;
    for (const vote of this.#open) if (next === undefined || vote.closes_at < next) next = vote.closes_at;
    return next;
  }

  async #arm(at: number | undefined): Promise<void> {
    this.#alarmAt = at;
    if (at !== undefined) await this.storage.setAlarm(at);
    else await this.storage.deleteAlarm();
  }
}
