/**
 * When each struct of a document arrived, as a transaction number: what the concurrent-insert check (causal-past.ts)
 * uses to stop searching early. Yjs integrates a struct only after everything it refers to, so a struct can only
 * refer, directly or not, to structs that arrived no later than itself: a search for "did the sender know this
 * item?" can skip everything that arrived before it.
 *
 * Per client, the clock where each transaction's structs begin, with the transaction's number. Structs the document
 * held before it was tracked count as the oldest (number 0); so do those of transactions forgotten when the table
 * is full (`MAX_RUNS`): an older number only makes the search longer, never wrong. Structs applied in the running
 * transaction (a burst) are past the table's end, and count as the newest.
 */
import * as Y from "yjs";

/** Runs (a client's structs of one transaction) a document's table holds: past it, the older half is forgotten. */
const MAX_RUNS = 32_768;

interface ClientRuns {
  /** First clock of each run, ascending; `seqs` holds its transaction number, ascending too. */
  starts: number[];
  seqs: number[];
  /** Where the recorded structs end: later clocks arrived in the running transaction. */
  end: number;
}

export class Arrivals {
  #seq = 1;
  #runs = 0;
  readonly #clients = new Map<number, ClientRuns>();

  constructor(doc: Y.Doc) {
    for (const client of doc.store.clients.keys()) this.#clients.set(client, { starts: [], seqs: [], end: Y.getState(doc.store, client) });
    doc.on("afterTransaction", (transaction: Y.Transaction) => this.#record(transaction));
  }

  /** The number the running transaction will get: newer than every struct recorded. */
  get now(): number {
    return this.#seq;
  }

  /** When the unit (`client`, `clock`) of the document arrived (`now` when in the running transaction). */
  of(client: number, clock: number): number {
    const runs = this.#clients.get(client);
    if (runs === undefined || clock >= runs.end) return this.#seq;
    const { starts, seqs } = runs;
    let low = 0;
    let high = starts.length - 1;
    let found = -1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      if (starts[mid]! <= clock) {
        found = mid;
        low = mid + 1;
      } else high = mid - 1;
    }
    return found < 0 ? 0 : seqs[found]!;
  }

  /** The first clock of `client` that arrived at `seq` or later. */
  firstSince(client: number, seq: number): number {
    const runs = this.#clients.get(client);
    if (runs === undefined || seq <= 0) return 0;
    if (seq >= this.#seq) return runs.end;
    const { starts, seqs } = runs;
    let low = 0;
    let high = seqs.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (seqs[mid]! < seq) low = mid + 1;
      else high = mid;
    }
    return low < starts.length ? starts[low]! : runs.end;
  }

  /**
   * For a transaction that adds structs of no client but those its caller will push to the list returned (a client
   * may be pushed twice): its record then looks at those clients only, not at every client the document ever had (a
   * long-lived document gains one per editor session: with 1,000 of them, that walk cost ~20 µs per update). One
   * list, reused: a transaction told later (one an observer opens before this one's record) leaves this one walked.
   */
  addsOnly(transaction: Y.Transaction): number[] {
    this.#hinted = transaction;
    // Emptied only now and then: V8 drops an emptied array's storage, and the next push makes another (~150 bytes).
    if (this.#hintedClients.length > 64) this.#hintedClients.length = 0;
    this.#hintedFrom = this.#hintedClients.length;
    return this.#hintedClients;
  }

  #hinted: Y.Transaction | undefined;
  readonly #hintedClients: number[] = [];
  /** Where the told transaction's clients start in `#hintedClients`. */
  #hintedFrom = 0;

  #record(transaction: Y.Transaction): void {
    this.#recording = transaction;
    if (transaction === this.#hinted) {
      const { afterState } = transaction;
      const clients = this.#hintedClients;
      for (let i = this.#hintedFrom; i < clients.length; i++) this.#recordClient(afterState.get(clients[i]!) ?? 0, clients[i]!);
    } else transaction.afterState.forEach(this.#recordClient); // no entry array per client, as for-of makes
    this.#recording = this.#hinted = undefined;
    const seq = this.#seq++;
    if (this.#runs > MAX_RUNS) this.#forgetOlderHalf(seq - (seq >>> 1));
  }

  #recording: Y.Transaction | undefined;
  readonly #recordClient = (after: number, client: number): void => {
    const before = this.#recording!.beforeState.get(client) ?? 0;
    if (after <= before) return;
    let runs = this.#clients.get(client);
    if (runs === undefined) this.#clients.set(client, (runs = { starts: [], seqs: [], end: before }));
    else if (runs.seqs[runs.seqs.length - 1] === this.#seq) return; // a client named twice (addsOnly): recorded once
    runs.starts.push(before);
    runs.seqs.push(this.#seq);
    runs.end = after;
    this.#runs++;
  };

  /** Drops the runs of transactions before `seq`: their structs count as the oldest from now on. */
  #forgetOlderHalf(seq: number): void {
    this.#runs = 0;
    for (const runs of this.#clients.values()) {
      let keep = 0;
      while (keep < runs.seqs.length && runs.seqs[keep]! < seq) keep++;
      runs.starts.splice(0, keep);
      runs.seqs.splice(0, keep);
      this.#runs += runs.seqs.length;
    }
  }
}

const tables = new WeakMap<Y.Doc, Arrivals>();

/** The arrivals of `doc` when they are tracked (nothing is made otherwise). */
export function trackedArrivals(doc: Y.Doc): Arrivals | undefined {
  return tables.get(doc);
}

/** The arrivals of `doc`, tracked from the first call on (call it before the document loads). */
export function arrivalsOf(doc: Y.Doc): Arrivals {
  let table = tables.get(doc);
  if (table === undefined) tables.set(doc, (table = new Arrivals(doc)));
  return table;
}
