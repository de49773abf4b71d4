/**
 * Work of a room that costs a pass over its whole document (loading it: merging its stored log, applying it; encoding it
 * for a compaction; a slice of an update too big for one turn), spread over turns of the event loop that every room of
 * the process shares, with lease renewals and sockets. One room's pass takes 5–50 ms; many rooms ask for theirs at
 * once when a node takes over the rooms of a node that died (their loads answered by the database in one read), or when
 * a restart's clients all come back: run as they came, in one turn, they held the loop for a second and more, and a
 * cluster node lost its own leases meanwhile (docs/cluster.md, "Failover timing").
 *
 * The work queued here runs in order, `HEAVY_TURN_BUDGET_MS` of it per turn of the event loop (at least one piece),
 * the rest in the next turns, after the timers and the I/O that came meanwhile. Process-wide: one queue for every room
 * and every store. The stores and the Yjs layer use it (src/runtime re-exports it).
 */

/** Heavy work run in one turn of the event loop before the rest waits for the next (one piece may take longer). */
export const HEAVY_TURN_BUDGET_MS = 15;

interface Piece {
  /** Work to run (its result resolves the promise); `undefined`: a turn of its own is wanted (see `heavyTurn`). */
  work: (() => unknown) | undefined;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** Pieces that finish what a room started (its load's last step): run before any piece in `queue`. */
const finishing: Piece[] = [];
const queue: Piece[] = [];
let scheduled = false;

/**
 * Runs `work` (synchronous, heavy) in a turn of the event loop with little other heavy work in it; resolves with its
 * result. `finishes`: the last heavy step of something a room waits for (the apply that ends its load), which goes
 * before the first steps of others': rooms taken over together are served one after the other, the first soon, rather
 * than all at the end.
 */
export function inHeavyTurn<T>(work: () => T, finishes = false): Promise<Awaited<T>> {
  return new Promise((resolve, reject) => enqueue({ work, resolve: resolve as (value: unknown) => void, reject }, finishes));
}

/**
 * Resolves at the start of a turn no other heavy work of this queue runs in: for heavy work that is not one function
 * (the caller runs it right after, in the same turn). Later than `setImmediate` when other rooms' work waits.
 */
export function heavyTurn(): Promise<void> {
  return new Promise((resolve, reject) => enqueue({ work: undefined, resolve: resolve as (value: unknown) => void, reject }, false));
}

function enqueue(piece: Piece, finishes: boolean): void {
  (finishes ? finishing : queue).push(piece);
  if (scheduled) return;
  scheduled = true;
  setImmediate(runSome);
}

/** Runs pieces until the budget is spent; what is left goes to the next turn (an immediate queued now runs there). */
function runSome(): void {
  const started = performance.now();
  let ran = 0;
  for (;;) {
    const next = finishing[0] ?? queue[0];
    if (next === undefined) break;
    if (next.work === undefined) {
      // A turn of its own: taken now if nothing ran in this one, else at the start of the next.
      if (ran > 0) break;
      queue.shift();
      next.resolve(undefined);
      break;
    }
    (finishing.length > 0 ? finishing : queue).shift();
    ran++;
    try {
      next.resolve(next.work());
    } catch (error) {
      next.reject(error);
    }
    if (performance.now() - started >= HEAVY_TURN_BUDGET_MS) break;
  }
  if (finishing.length > 0 || queue.length > 0) setImmediate(runSome);
  else scheduled = false;
}
