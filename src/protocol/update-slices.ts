/**
 * Cuts one Yjs (v1) update into smaller updates that, applied one after another, change a document exactly as the
 * whole would: what lets the server apply a huge paste or first sync a slice per turn of the event loop instead of
 * stalling every room for seconds (src/yjs/slicing.ts). Bytes are copied, never decoded into structs: a v1 struct is
 * written on its own (absolute IDs, no state shared with its neighbours), so a run of a client's structs is a valid
 * struct list under a header naming its first clock.
 *
 * Order: Yjs integrates a struct only once what it names (origin, right origin, parent) is in the document; one
 * whose reference is missing waits ("pending") until it comes. Slices are filled in an order where each struct's
 * references to other clients of the update come first (a client's own references are always to earlier clocks), so
 * no slice of an update that does not wait as a whole leaves anything waiting. The delete set comes last, when
 * everything it deletes is in. Server side only, like update-format.ts.
 */
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import { readUpdateStructs, type UpdateStructs } from "./update-format.js";

/** A run of one list's structs in a slice: structs `from` to `to` (excluded). */
interface Run {
  list: number;
  from: number;
  to: number;
}

/**
 * `update` as updates of at most `maxParts` structs and deleted ranges each, to apply in order; `[update]` when it
 * holds no more than that; a string saying why when it is not a whole Yjs v1 update. `read`: its structs, when a
 * walk that checked it read them already (`readUpdateShape`).
 */
export function sliceUpdate(update: Uint8Array, maxParts: number, read: UpdateStructs | string = readUpdateStructs(update)): Uint8Array[] | string {
  if (!(maxParts >= 1)) throw new RangeError(`maxParts must be 1 or more, got ${maxParts}`);
  if (typeof read === "string") return read;
  const ranges = deleteRanges(update, read);
  if (read.starts.length + ranges.length / 3 <= maxParts) return [update];
  const writer = new SliceWriter(update, read, maxParts);
  new DependencyOrder(read).emit(writer);
  for (let i = 0; i < ranges.length; i += 3) writer.addRange(ranges[i]!, ranges[i + 1]!, ranges[i + 2]!);
  return writer.finish();
}

/** The delete set as triples (client, clock, length), in the update's order. */
function deleteRanges(update: Uint8Array, read: UpdateStructs): number[] {
  const decoder = decoding.createDecoder(update.subarray(read.structsEnd, read.end));
  const triples: number[] = [];
  for (let clients = decoding.readVarUint(decoder); clients > 0; clients--) {
    const client = decoding.readVarUint(decoder);
    for (let count = decoding.readVarUint(decoder); count > 0; count--) triples.push(client, decoding.readVarUint(decoder), decoding.readVarUint(decoder));
  }
  return triples;
}

/**
 * The update's structs as runs of each list, each run after the structs of other lists it refers to (Yjs's own
 * integration goes the same way, with a stack). A list whose next struct waits for another list is parked under
 * that list until it reaches the clock; a reference nothing in the update will satisfy (the document has it, or it
 * waits for good) holds nothing up. Most updates (a paste, one client's typing) refer to no other list of theirs:
 * their lists go whole, in order.
 */
class DependencyOrder {
  readonly #read: UpdateStructs;
  readonly #listOf = new Map<number, number>();
  /** Per list: the next struct to emit, and the clock where its emitted structs end. */
  readonly #next: number[];
  readonly #reached: number[];
  /** Per struct: where its references to other lists start in `refs` (one entry more: the end). */
  readonly #refStart: Int32Array;
  /** Per list: the lists parked until it reaches a clock, highest clock first. */
  readonly #parked = new Map<number, Array<{ clock: number; list: number }>>();

  constructor(read: UpdateStructs) {
    this.#read = read;
    read.structClients.forEach((client, list) => this.#listOf.set(client, list));
    this.#next = [...read.listFirst];
    this.#reached = read.listFirst.map((first, list) => this.#clockAt(list, first));
    this.#refStart = new Int32Array(read.starts.length + 1).fill(read.refs.length);
    for (let i = read.refs.length - 3; i >= 0; i -= 3) this.#refStart[read.refs[i]!] = i;
    for (let s = read.starts.length - 1; s >= 0; s--) this.#refStart[s] = Math.min(this.#refStart[s]!, this.#refStart[s + 1]!);
  }

  emit(writer: SliceWriter): void {
    const lists = this.#read.structClients.length;
    if (!this.#read.refs.some((_, i) => i % 3 === 1 && this.#listOf.has(this.#read.refs[i]!))) {
      for (let list = 0; list < lists; list++) writer.addRun(list, this.#next[list]!, this.#end(list));
      return;
    }
    const ready = Array.from({ length: lists }, (_, i) => lists - 1 - i); // a stack: the update's first list on top
    for (let left = this.#read.starts.length; left > 0; ) {
      // Nothing ready, yet structs left: they wait on each other or on what the update lacks (Yjs would keep part
      // of it waiting). A parked list then goes on regardless, as Yjs would try it.
      let list = ready.pop();
      const forced = list === undefined;
      list ??= this.#unpark();
      const from = this.#next[list]!;
      const end = this.#end(list);
      let to = forced ? from + 1 : from;
      let blocker: { list: number; clock: number } | undefined;
      while (to < end && (blocker = this.#blocker(to)) === undefined) to++;
      if (blocker !== undefined) this.#park(list, blocker);
      if (to === from) continue;
      writer.addRun(list, from, to);
      left -= to - from;
      this.#next[list] = to;
      this.#reached[list] = this.#clockAt(list, to);
      this.#wake(list, ready);
    }
  }

  /** Where the structs of `list` end (its next list's first, or the last struct). */
  #end(list: number): number {
    return this.#read.listFirst[list + 1] ?? this.#read.starts.length;
  }

  /** The first clock of `struct` of `list`, or the list's end clock past its last struct. */
  #clockAt(list: number, struct: number): number {
    return struct < this.#end(list) ? this.#read.clocks[struct]! : this.#read.listEndClock[list]!;
  }

  /** The list and clock of a struct of the update, not emitted yet, that `struct` refers to, if any. */
  #blocker(struct: number): { list: number; clock: number } | undefined {
    const refs = this.#read.refs;
    for (let i = this.#refStart[struct]!; i < this.#refStart[struct + 1]!; i += 3) {
      const list = this.#listOf.get(refs[i + 1]!);
      const clock = refs[i + 2]!;
      if (list !== undefined && clock >= this.#reached[list]! && clock < this.#read.listEndClock[list]!) return { list, clock };
    }
    return undefined;
  }

  /** Parks `list` under `on` until it reaches `clock` (kept highest clock first: the next to wake is last). */
  #park(list: number, { list: on, clock }: { list: number; clock: number }): void {
    let parked = this.#parked.get(on);
    if (parked === undefined) this.#parked.set(on, (parked = []));
    let at = parked.length;
    while (at > 0 && parked[at - 1]!.clock < clock) at--;
    parked.splice(at, 0, { clock, list });
  }

  /** Lists parked on `list` whose clock it has now reached go back on the stack. */
  #wake(list: number, ready: number[]): void {
    const parked = this.#parked.get(list);
    if (parked === undefined) return;
    const reached = this.#reached[list]!;
    while (parked.length > 0 && parked[parked.length - 1]!.clock < reached) ready.push(parked.pop()!.list);
    if (parked.length === 0) this.#parked.delete(list);
  }

  /** Some parked list, taken off its wait. */
  #unpark(): number {
    for (const [on, parked] of this.#parked) {
      const { list } = parked.pop()!;
      if (parked.length === 0) this.#parked.delete(on);
      return list;
    }
    throw new Error("update-slices: structs left, yet no list ready or parked");
  }
}

/** Fills slices of at most `maxParts` structs and ranges, each encoded as a whole v1 update once full. */
class SliceWriter {
  readonly #slices: Uint8Array[] = [];
  #runs: Run[] = [];
  /** Per list: its run in the slice being filled. */
  #runOf = new Map<number, Run>();
  #ranges: number[] = [];
  #parts = 0;

  constructor(
    private readonly update: Uint8Array,
    private readonly read: UpdateStructs,
    private readonly maxParts: number,
  ) {}

  /** Structs `from` to `to` (excluded) of `list`, next in order: cut where slices fill up. */
  addRun(list: number, from: number, to: number): void {
    while (from < to) {
      const take = Math.min(to - from, this.maxParts - this.#parts);
      const run = this.#runOf.get(list);
      // A list's structs come in order, so a slice holds one run of each list at most, extended when it resumes.
      if (run !== undefined && run.to === from) run.to += take;
      else {
        const fresh = { list, from, to: from + take };
        this.#runs.push(fresh);
        this.#runOf.set(list, fresh);
      }
      from += take;
      this.#parts += take;
      if (this.#parts >= this.maxParts) this.#flush();
    }
  }

  addRange(client: number, clock: number, length: number): void {
    this.#ranges.push(client, clock, length);
    if (++this.#parts >= this.maxParts) this.#flush();
  }

  finish(): Uint8Array[] {
    if (this.#parts > 0) this.#flush();
    return this.#slices;
  }

  #flush(): void {
    const encoder = encoding.createEncoder();
    const { read, update } = this;
    // Highest client first, as Yjs writes them: a slice is then sent and stored as it is (see UpdateShape.outOfOrder).
    const runs = this.#runs.sort((a, b) => read.structClients[b.list]! - read.structClients[a.list]!);
    encoding.writeVarUint(encoder, runs.length);
    for (const { list, from, to } of runs) {
      encoding.writeVarUint(encoder, to - from);
      encoding.writeVarUint(encoder, read.structClients[list]!);
      encoding.writeVarUint(encoder, read.clocks[from]!);
      const end = to < (read.listFirst[list + 1] ?? read.starts.length) ? read.starts[to]! : (read.structStarts[list + 1] ?? read.structsEnd);
      encoding.writeUint8Array(encoder, update.subarray(read.starts[from]!, end));
    }
    writeDeleteSet(encoder, this.#ranges);
    this.#slices.push(encoding.toUint8Array(encoder));
    this.#runs = [];
    this.#runOf = new Map();
    this.#ranges = [];
    this.#parts = 0;
  }
}

/** A delete set from (client, clock, length) triples, ranges of one client together. */
function writeDeleteSet(encoder: encoding.Encoder, triples: readonly number[]): void {
  const byClient = new Map<number, number[]>();
  for (let i = 0; i < triples.length; i += 3) {
    const client = triples[i]!;
    const ranges = byClient.get(client) ?? [];
    ranges.push(triples[i + 1]!, triples[i + 2]!);
    byClient.set(client, ranges);
  }
  encoding.writeVarUint(encoder, byClient.size);
  for (const [client, ranges] of byClient) {
    encoding.writeVarUint(encoder, client);
    encoding.writeVarUint(encoder, ranges.length / 2);
    for (const value of ranges) encoding.writeVarUint(encoder, value);
  }
}
