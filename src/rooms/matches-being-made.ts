/**
 * The players of one queue whose match's seats are being stored (match-seats.ts: they are told only after), across the
 * matchmaker room's instances. A reload of the server's code (`yparty dev`) starts the room's next instance while the
 * one it replaces still stores a match: the sessions enter the next one's queue by themselves (their links closed
 * 1012), and an instance that knew only its own matches matched those players a second time. One per queue, kept
 * in a `MatchesBeingMadeByQueue` that outlives the mounts (`yparty dev` makes a new mount, with new matchmaker
 * parties, at each rebuild: src/cli/serve/mounts.ts keeps one for all of them), so every instance of the queue's
 * matchmaker, of any mount, sees the same: a player being matched is matched by none, and when it is told, what it
 * entered since, in any instance, is let go (the match is its).
 */

/** Lets go the entries `player` made since entry number `madeAt` (an instance's queue). */
export type LetGo = (player: string, madeAt: number) => void;

export class MatchesBeingMade {
  /** Entries made in the queue so far, by every instance: their order. */
  #entries = 0;
  /** Player → the entry count when its match was made. */
  readonly #madeAt = new Map<string, number>();
  /** The live instances' queues. */
  readonly #queues = new Set<LetGo>();

  /** The number of a new entry. */
  nextEntry(): number {
    return this.#entries++;
  }

  has(player: string): boolean {
    return this.#madeAt.has(player);
  }

  /** `player`'s match is made (its seats are being stored): matched by no instance until `told`. */
  made(player: string): void {
    this.#madeAt.set(player, this.#entries);
  }

  /** `player` was told (or kept a notice): what it entered since its match was made is let go, in every instance. */
  told(player: string): void {
    const madeAt = this.#madeAt.get(player);
    if (madeAt === undefined) return;
    this.#madeAt.delete(player);
    for (const letGo of this.#queues) letGo(player, madeAt);
  }

  /**
   * `player`'s match was dropped untold (its server stopped as the seats were stored): matched by no one no longer, and
   * what it entered since stays (nothing was let go: a later server given the same mount may match it again).
   */
  dropped(player: string): void {
    this.#madeAt.delete(player);
  }

  /** An instance's queue, until the returned undo (its `onStop`). */
  watch(letGo: LetGo): () => void {
    this.#queues.add(letGo);
    return () => this.#queues.delete(letGo);
  }
}

/** Each queue's `MatchesBeingMade` (the rooms protocol's room type, the game's mode), for every mount given it. */
export class MatchesBeingMadeByQueue {
  readonly #byQueue = new Map<string, MatchesBeingMade>();

  of(queue: string): MatchesBeingMade {
    let beingMade = this.#byQueue.get(queue);
    if (!beingMade) this.#byQueue.set(queue, (beingMade = new MatchesBeingMade()));
    return beingMade;
  }
}
