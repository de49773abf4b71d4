/**
 * The answer to a sync step 1 that is too large for one WebSocket message, as several: updates, then a last sync
 * step 2 with the rest and the delete set. y-protocols clients (y-websocket, y-partykit's provider, ours) apply the
 * updates as they come and count themselves synced at the step 2. Node's `ws` refuses a message over 100 MiB unless
 * told otherwise (`maxPayload`): a y-websocket client in Node never opened a document past that, sent whole. It
 * closed (1006) and reconnected, for ever, each attempt costing the server the whole document again.
 *
 * The parts follow the document's causality: a part holds only structs whose origin, right origin and parent are in
 * it, in an earlier part, or known to the client already, so the client integrates every part as it arrives. Cut in
 * Yjs's own order (highest client first), a document's parts mostly waited on the client as "pending" structs, merged
 * again with every next part: 22 s to apply a 104 MiB document in 8 MiB parts, against 4 s whole.
 *
 * The cut is walked on the live document's struct store (a struct is never cut: one larger than the limit is a part
 * of its own), its parts written with Yjs's own struct encoders, so they hold exactly the bytes
 * `Y.encodeStateAsUpdate` would, divided.
 */
import * as encoding from "lib0/encoding";
import * as Y from "yjs";
import { SyncType } from "../protocol/index.js";
import { syncFrameOf } from "./frames.js";

/**
 * Largest answer sent as one message; a larger one goes in parts of about this size. Under `ws`'s 100 MiB default
 * with room to spare. Each part is sent once the socket has written the one before (peer.ts), so it is the largest
 * message in flight, which the send-buffer cap never counts.
 */
export const MAX_ANSWER_MESSAGE_BYTES = 64 * 1024 * 1024;

type Struct = Y.Item | Y.GC;

/**
 * The frames of the answer to a sync step 1 with `stateVector`: updates, then the step 2 that ends it. The structs of
 * each take at most `maxBytes` (a single larger struct is a part of its own); headers and, in the last, the delete set
 * come on top. `undefined` when the document holds pending structs or deletions (a step 2 carries them whole), or when
 * its structs do not follow from one another.
 */
export function answerInParts(doc: Y.Doc, stateVector: Map<number, number>, maxBytes: number): Uint8Array[] | undefined {
  const { store } = doc;
  if (store.pendingStructs !== null || store.pendingDs !== null) return undefined;
  const parts = new CausalParts(store.clients, stateVector, maxBytes).cut();
  if (parts === undefined) return undefined;
  // What Yjs writes after the structs of a whole-state update: the delete set (no struct is beyond the state).
  const deleteSet = Y.encodeStateAsUpdate(doc, Y.encodeStateVector(doc)).subarray(1);
  const last = parts.length - 1;
  return parts.map((part, i) => (i < last ? part.frame(SyncType.Update, NO_DELETIONS) : part.frame(SyncType.Step2, deleteSet)));
}

/** An empty delete set: the parts before the last leave deletions to it. */
const NO_DELETIONS = Uint8Array.of(0);

/** A client's structs in one part: where they start, how many, and the first `size` bytes its encoder holds. */
interface Section {
  client: number;
  start: number;
  count: number;
  size: number;
  encoder: Y.UpdateEncoderV1;
}

class Part {
  readonly sections = new Map<number, Section>();
  size = 0;

  /** Writes `struct` (from `offset` on) into its client's section; returns the bytes it took. */
  add(client: number, struct: Struct, offset: number): number {
    let section = this.sections.get(client);
    if (section === undefined) {
      section = { client, start: struct.id.clock + offset, count: 0, size: 0, encoder: new Y.UpdateEncoderV1() };
      this.sections.set(client, section);
    }
    const out = section.encoder.restEncoder;
    const before = encoding.length(out);
    struct.write(section.encoder, offset);
    const bytes = encoding.length(out) - before;
    section.count++;
    section.size += bytes;
    this.size += bytes;
    return bytes;
  }

  /** Takes back the struct `add` wrote last for `client`, `bytes` long (it goes to the next part). */
  removeLast(client: number, bytes: number): void {
    const section = this.sections.get(client)!;
    section.count--;
    section.size -= bytes;
    this.size -= bytes;
    if (section.count === 0) this.sections.delete(client);
  }

  /** The part as a sync frame: its clients' structs (highest client first, as Yjs writes them), then `deleteSet`. */
  frame(syncType: number, deleteSet: Uint8Array): Uint8Array {
    const sections = [...this.sections.values()].sort((a, b) => b.client - a.client);
    const pieces = [varUints(sections.length)];
    for (const { client, start, count, size, encoder } of sections) {
      pieces.push(varUints(count, client, start));
      written(encoder.restEncoder, size, pieces);
    }
    pieces.push(deleteSet);
    const length = pieces.reduce((sum, piece) => sum + piece.byteLength, 0);
    return syncFrameOf(syncType, pieces, length);
  }
}

const varUints = (...values: number[]): Uint8Array => encoding.encode((encoder) => values.forEach((value) => encoding.writeVarUint(encoder, value)));

/** Adds the first `size` bytes `encoder` holds to `pieces`, as views of its buffers (no copy). */
function written(encoder: encoding.Encoder, size: number, pieces: Uint8Array[]): void {
  let left = size;
  for (const buffer of [...encoder.bufs, encoder.cbuf.subarray(0, encoder.cpos)]) {
    if (left === 0) return;
    const piece = buffer.byteLength <= left ? buffer : buffer.subarray(0, left);
    pieces.push(piece);
    left -= piece.byteLength;
  }
}

/** A client's structs still to place: the list, the next index, and the offset into the first (the client has its start). */
interface Cursor {
  structs: Struct[];
  next: number;
  offset: number;
}

/**
 * Places the structs beyond a state vector into parts, each struct once everything it refers to is placed (Kahn's
 * order over the clients' lists: a client blocked on another's clock waits until that clock is reached).
 */
class CausalParts {
  readonly #cursors = new Map<number, Cursor>();
  /** Per client, the clock up to which the client asking will have its structs once the parts so far are applied. */
  readonly #reached: Map<number, number>;
  /** Per client, the clients blocked until it reaches a clock: [client, clock] pairs. */
  readonly #waiting = new Map<number, number[]>();
  readonly #ready: number[] = [];
  readonly #parts: Part[] = [new Part()];
  #blockedOn = 0;
  #blockedAt = 0;

  constructor(
    clients: Map<number, Struct[]>,
    stateVector: Map<number, number>,
    private readonly maxBytes: number,
  ) {
    this.#reached = new Map(stateVector);
    for (const [client, structs] of clients) {
      const last = structs[structs.length - 1]!;
      const start = Math.max(stateVector.get(client) ?? 0, structs[0]!.id.clock);
      if (start >= last.id.clock + last.length) continue;
      const next = Y.findIndexSS(structs, start);
      this.#cursors.set(client, { structs, next, offset: start - structs[next]!.id.clock });
      this.#reached.set(client, start);
    }
    // Highest client first, as Yjs integrates them: where nothing orders two clients, the parts keep Yjs's order.
    this.#ready.push(...[...this.#cursors.keys()].sort((a, b) => a - b));
  }

  /** The parts, or `undefined` when some struct refers to what no struct holds (the caller sends the answer whole). */
  cut(): Part[] | undefined {
    for (let client = this.#ready.pop(); client !== undefined; client = this.#ready.pop()) this.#advance(client);
    for (const cursor of this.#cursors.values()) if (cursor.next < cursor.structs.length) return undefined;
    return this.#parts;
  }

  /** Places the client's structs until one refers to what is not placed yet (the client then waits for it). */
  #advance(client: number): void {
    const cursor = this.#cursors.get(client)!;
    const { structs } = cursor;
    while (cursor.next < structs.length) {
      const struct = structs[cursor.next]!;
      if (this.#blocked(client, struct)) {
        const waiters = this.#waiting.get(this.#blockedOn) ?? [];
        waiters.push(client, this.#blockedAt);
        this.#waiting.set(this.#blockedOn, waiters);
        break;
      }
      this.#place(client, struct, cursor.offset);
      cursor.offset = 0;
      cursor.next++;
      this.#reached.set(client, struct.id.clock + struct.length);
    }
    this.#wake(client);
  }

  /** Writes the struct into the current part; a part past the limit ends before it, and the struct opens the next. */
  #place(client: number, struct: Struct, offset: number): void {
    const part = this.#parts[this.#parts.length - 1]!;
    const bytes = part.add(client, struct, offset);
    if (part.size <= this.maxBytes || part.size === bytes) return;
    part.removeLast(client, bytes);
    const next = new Part();
    this.#parts.push(next);
    next.add(client, struct, offset);
  }

  /** Whether `struct` refers to another client's struct not placed yet (noted in `#blockedOn`, `#blockedAt`). */
  #blocked(client: number, struct: Struct): boolean {
    if (!(struct instanceof Y.Item)) return false; // a GC refers to nothing
    const { origin, rightOrigin } = struct;
    if (origin !== null && this.#unplaced(client, origin.client, origin.clock)) return true;
    if (rightOrigin !== null && this.#unplaced(client, rightOrigin.client, rightOrigin.clock)) return true;
    // Without origins Yjs writes the parent: a nested type by its item's ID.
    const parent = origin === null && rightOrigin === null && struct.parent instanceof Y.AbstractType ? struct.parent._item : null;
    return parent !== null && this.#unplaced(client, parent.id.client, parent.id.clock);
  }

  #unplaced(client: number, refClient: number, refClock: number): boolean {
    if (refClient === client || refClock < (this.#reached.get(refClient) ?? 0)) return false;
    this.#blockedOn = refClient;
    this.#blockedAt = refClock;
    return true;
  }

  /** Makes ready the clients waiting for a clock of `client` it has now reached. */
  #wake(client: number): void {
    const waiters = this.#waiting.get(client);
    if (waiters === undefined) return;
    const reached = this.#reached.get(client)!;
    const still: number[] = [];
    for (let i = 0; i < waiters.length; i += 2) {
      if (waiters[i + 1]! < reached) this.#ready.push(waiters[i]!);
      else still.push(waiters[i]!, waiters[i + 1]!);
    }
    if (still.length > 0) this.#waiting.set(client, still);
    else this.#waiting.delete(client);
  }
}

/**
 * The session passes an answer along as one frame (to `Peer.send`, possibly once it is durable): an answer in parts
 * travels as an empty stand-in frame, which no message of the room ever is, so `Peer.send` finds it with one length
 * check and sends its parts instead.
 */
const partsOfStandIn = new WeakMap<Uint8Array, readonly Uint8Array[]>();

/** A stand-in frame for `frames`, sent as they are by `Peer.send`. */
export function framesInParts(frames: readonly Uint8Array[]): Uint8Array {
  const standIn = new Uint8Array(0);
  partsOfStandIn.set(standIn, frames);
  return standIn;
}

/** The frames a stand-in from `framesInParts` holds; `undefined` for any other frame. */
export function partsOf(frame: Uint8Array): readonly Uint8Array[] | undefined {
  return frame.byteLength === 0 ? partsOfStandIn.get(frame) : undefined;
}
