/**
 * A check that bytes are a whole Yjs (v1) update, without building it: the layout `Y.decodeUpdate` reads
 * (structs per client, then the delete set), walked in place. It accepts nothing `Y.decodeUpdate` refuses and
 * costs a fraction of it, since no struct, string or ID object is made (test/protocol/update-format.test.ts
 * holds it to that on real traces and damaged bytes). Format: yjs/src/utils/encoding.js and structs/*.js.
 *
 * Beyond the layout it refuses what Yjs never writes and would throw on half-way through applying (after part
 * of the update is already in the document): a struct that refers to itself or to a later struct of its own
 * client (Yjs checks references to other clients against its state vector, but assumes those to its own client
 * were integrated before), a client listed twice, a struct or deleted range of length 0.
 *
 * It runs where a cold process meets a big stored document, so it is written for V8's unoptimized tiers too:
 * one reader position in module state (the walk is synchronous, never re-entered) and few calls per struct.
 * Server side only (node:buffer); not exported from the protocol index the provider bundles.
 */
import { isUtf8 } from "node:buffer";
import * as encoding from "lib0/encoding";

/**
 * Bumped whenever what the walk accepts changes: stores that recorded "checked" (persistence/seal.ts) then check
 * again instead of trusting an older walk's verdict.
 */
export const UPDATE_FORMAT_CHECK_VERSION = 2;

/** What a well-formed update holds, counted by the walk. */
export interface UpdateShape {
  /** Structs (items, GCs, skips) and deleted ranges: what applying costs, one integrate or delete each. */
  parts: number;
  /** Items whose content is a shared type (their nesting is checked against the document, see validate.ts). */
  types: number;
  /** Items that start before and end after the `known` clock of their client (checked against the document). */
  straddling: number;
  /**
   * With a view: items the update adds that Yjs may not place right between their named neighbours (a conflict to
   * resolve, a reference to what is missing or to a later part of the update), so that another order of arrival
   * could place them otherwise. Checked against a copy of the document (src/yjs/reload-order.ts).
   */
  scattered: number;
  /**
   * With a view: whether part of the update may wait for what neither the document nor the update has (Yjs keeps
   * it "pending"): a struct past a gap in its client's clocks, a reference or a deleted range beyond both.
   */
  waits: boolean;
  /**
   * With a view: structs the document has already, whole or in part (Yjs skips what it has), and structs (items,
   * GCs) it adds past the document's state. An update with none known, whose additions do not wait, is exactly the
   * change it makes.
   */
  known: number;
  adds: number;
  /**
   * Whether its clients' struct lists are out of the order Yjs writes them in (highest client first). Yjs applies such
   * an update alike, but `Y.mergeUpdates` drops structs of it: it must never be stored (or sent) as received.
   */
  outOfOrder: boolean;
  /** Where the update's delete set starts (after its struct lists); -1 when the walk stopped before it. */
  deletesStart: number;
  /** Where the update's layout ends (its delete set's last byte): bytes after it are no part of it, and Yjs ignores them. */
  end: number;
}

/**
 * Where an update's lists lie, as byte offsets into it: the list of each client's structs (from its struct count to
 * its last struct) and the delete set's list of each client's ranges (from the client to its last range), in the
 * update's order. Each list's end is the next one's start, `structsEnd` or `end`.
 */
export interface UpdateLayout {
  structClients: number[];
  structStarts: number[];
  /** Where the delete set starts (its client count): the end of the last struct list. */
  structsEnd: number;
  deleteClients: number[];
  deleteStarts: number[];
  /** Where the update's layout ends (see `UpdateShape.end`). */
  end: number;
}

/** The layout of `update` (see `UpdateLayout`), or why it is not a whole Yjs v1 update. */
export function readUpdateLayout(update: Uint8Array): UpdateLayout | string {
  const read: UpdateLayout = { structClients: [], structStarts: [], structsEnd: 0, deleteClients: [], deleteStarts: [], end: 0 };
  layout = read;
  try {
    const shape = readUpdateShape(update);
    if (typeof shape === "string") return shape;
    read.end = shape.end;
    return read;
  } finally {
    layout = undefined;
  }
}

/**
 * The layout down to each struct, and what each struct refers to in other clients (what must be in the document
 * before Yjs can integrate it): what cutting an update into parts needs (update-slices.ts). Structs are numbered
 * across lists in the update's order; list `i` holds structs `listFirst[i]` to `listFirst[i + 1]` (or the last).
 */
export interface UpdateStructs extends UpdateLayout {
  listFirst: number[];
  /** Per list: the clock after its last struct. */
  listEndClock: number[];
  /** Per struct: where its bytes start (its info byte) and its first clock. */
  starts: number[];
  clocks: number[];
  /** References to structs of other clients (origin, right origin, parent), as triples (struct, client, clock). */
  refs: number[];
}

/** `update` down to each struct (see `UpdateStructs`), or why it is not a whole Yjs v1 update. */
export function readUpdateStructs(update: Uint8Array): UpdateStructs | string {
  const read = emptyStructs();
  const shape = readUpdateShape(update, undefined, { structs: read });
  return typeof shape === "string" ? shape : read;
}

/** An `UpdateStructs` for a walk to fill (`readUpdateShape`'s `structs`). */
export function emptyStructs(): UpdateStructs {
  return {
    structClients: [],
    structStarts: [],
    structsEnd: 0,
    deleteClients: [],
    deleteStarts: [],
    end: 0,
    listFirst: [],
    listEndClock: [],
    starts: [],
    clocks: [],
    refs: [],
  };
}

/** Why `update` is not a whole Yjs v1 update, or `undefined` when it is one. */
export function updateFormatError(update: Uint8Array): string | undefined {
  const shape = readUpdateShape(update);
  return typeof shape === "string" ? shape : undefined;
}

/** What the walk may ask of the document an update is about to be applied to. */
export interface DocumentView {
  /** The clock up to which the document has `client`'s structs (its state). */
  state(client: number): number;
  /**
   * Whether, in the document, the item holding the right origin comes after the one holding the origin, in the
   * same list (asked when the document has both). Yjs orders concurrent inserts consistently only then.
   */
  inOrder(originClient: number, originClock: number, rightClient: number, rightClock: number): boolean;
  /**
   * An item the update adds (`item`, read last; its clocks start at the client's state), in the order Yjs
   * integrates them: whether Yjs will place it where every order of arrival places it (right between the
   * neighbours it names, or among items inserted concurrently); `false` also when that is not known; a reason to
   * refuse the update when its place depends on the order of arrival.
   */
  placesNextTo(item: NewItem): boolean | string;
  /** A GC or skip the update adds (clocks `start` to `end` of `client`): nothing an item of it may name. */
  addsNonItem(client: number, start: number, end: number): void;
}

/** The references of an item an update adds, as the walk read them (one object, overwritten for each item). */
export interface NewItem {
  client: number;
  /** Its clocks: `clock` to `end` (excluded). */
  clock: number;
  end: number;
  hasOrigin: boolean;
  originClient: number;
  originClock: number;
  hasRightOrigin: boolean;
  rightClient: number;
  rightClock: number;
  /** Without origins: its parent, a root type by name or an item by ID, and its key in a map. */
  parentName: string | null;
  parentClient: number;
  parentClock: number;
  parentSub: string | null;
}

/**
 * The shape of `update`, or why it is not a whole Yjs v1 update. With `view`, also what makes it one the document
 * cannot take: an item whose right origin is not after its origin there; and the items that straddle what the
 * document has of their client are counted.
 */
export function readUpdateShape(update: Uint8Array, view?: DocumentView, options: WalkOptions = {}): UpdateShape | string {
  const { structs, stopAbove = Number.POSITIVE_INFINITY } = options;
  if (structs) layout = structSink = structs;
  svSink = options.stateVector;
  clientSink = options.clients;
  partsCap = stopAbove;
  bytes = update;
  pos = 0;
  parts = 0;
  types = 0;
  straddling = 0;
  scattered = 0;
  waits = false;
  known = 0;
  adds = 0;
  outOfOrder = false;
  deletesStart = -1;
  beyond.length = 0;
  try {
    walkUpdate(view);
    if (structs) structs.end = pos;
    return { parts, types, straddling, scattered, waits, known, adds, outOfOrder, deletesStart, end: pos };
  } catch (error) {
    if (error === STOPPED) return { parts, types, straddling, scattered, waits, known, adds, outOfOrder, deletesStart: -1, end: -1 };
    return error instanceof MalformedUpdate ? error.message : `not a Yjs update (${(error as Error).message})`;
  } finally {
    bytes = EMPTY; // do not keep the caller's buffer alive
    listedClients.length = 0;
    reached?.clear();
    if (structs) layout = structSink = undefined;
    svSink = clientSink = undefined;
  }
}

/** What else a walk may do (`readUpdateShape`). */
export interface WalkOptions {
  /** Filled in by the same walk (see `UpdateStructs`). */
  structs?: UpdateStructs;
  /**
   * Stop as soon as the update is known to hold more parts than this (a list's struct count is read before its
   * structs, and stops the walk when that many fit in the bytes left): the shape returned then counts parts so far
   * (more than this), and nothing else of it holds (`end` -1).
   */
  stopAbove?: number;
  /**
   * Filled with the update's state vector as Yjs computes it (`encodeStateVectorFromUpdate`): per client whose structs
   * start at clock 0, where they end, up to the first skip.
   */
  stateVector?: Map<number, number>;
  /** The clients of the update's struct lists are pushed to it (a client listed twice is refused, not pushed twice). */
  clients?: number[];
}

/**
 * The state vector of a well-formed v1 update, encoded as `Y.encodeStateVectorFromUpdate` encodes it, by one walk that
 * makes no struct objects; or why it is not a whole update.
 */
export function encodeUpdateStateVector(update: Uint8Array): Uint8Array | string {
  const stateVector = new Map<number, number>();
  const shape = readUpdateShape(update, undefined, { stateVector });
  if (typeof shape === "string") return shape;
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, stateVector.size);
  for (const [client, clock] of [...stateVector].sort((a, b) => b[0] - a[0])) {
    encoding.writeVarUint(encoder, client);
    encoding.writeVarUint(encoder, clock);
  }
  return encoding.toUint8Array(encoder);
}

class MalformedUpdate extends Error {}
/** Thrown to end a walk at `WalkOptions.stopAbove`. */
const STOPPED = new Error("stopped");

const EMPTY: Uint8Array = new Uint8Array(0);
let bytes: Uint8Array = EMPTY;
let pos = 0;
let parts = 0;
let types = 0;
let straddling = 0;
let scattered = 0;
let waits = false;
let known = 0;
let adds = 0;
let outOfOrder = false;
let deletesStart = -1;
/** The clients of the walk's struct lists while they are in Yjs's order (`walkUpdate`). */
const listedClients: number[] = [];
/** References past the document's state of their client, as (client, clock) pairs: resolved at the end. */
const beyond: number[] = [];
/** Per client whose clocks the update takes past the document's state: where they end. */
let reached: Map<number, number> | undefined;
const item: NewItem = {
  client: 0,
  clock: 0,
  end: 0,
  hasOrigin: false,
  originClient: 0,
  originClock: 0,
  hasRightOrigin: false,
  rightClient: 0,
  rightClock: 0,
  parentName: null,
  parentClient: 0,
  parentClock: 0,
  parentSub: null,
};
/** Filled by the walk for `readUpdateLayout`. */
let layout: UpdateLayout | undefined;
/** Filled by the walk for `readUpdateStructs` (beside `layout`). */
let structSink: UpdateStructs | undefined;
/** Filled by the walk for `encodeUpdateStateVector`. */
let svSink: Map<number, number> | undefined;
/** `WalkOptions.clients` of the walk under way. */
let clientSink: number[] | undefined;
/** The ID `earlier` read last. */
let refClient = 0;
let refClock = 0;
/** `WalkOptions.stopAbove` of the walk under way. */
let partsCap = Number.POSITIVE_INFINITY;

const BITS5 = 0b11111;
const HAS_ORIGIN = 0b1000_0000;
const HAS_RIGHT_ORIGIN = 0b0100_0000;
const HAS_PARENT_SUB = 0b0010_0000;
const SKIP = 10;
/** A varUint of up to 7 bytes holds at most 49 bits: always a safe integer. */
const SAFE_UINT_BYTES = 7;

/** Item content refs (Yjs `contentRefs`). */
const Content = { Deleted: 1, JSON: 2, Binary: 3, String: 4, Embed: 5, Format: 6, Type: 7, Any: 8, Doc: 9 } as const;
/** Type refs whose content carries a name (YXmlElement, YXmlHook); refs above 6 are unknown to Yjs. */
const NAMED_TYPE_REFS = new Set([3, 5]);
const LAST_TYPE_REF = 6;
/** lib0 `writeAny` tags, counted down from 127 as lib0 does; 127…120 (undefined, null, false, true) carry nothing more. */
const Any = { Undefined: 127, Null: 126, Int: 125, Float32: 124, Float64: 123, BigInt: 122, String: 119, Object: 118, Array: 117, Bytes: 116 };
const FIRST_ANY_TAG = 116;
/** Far beyond any JSON an editor writes, far below where lib0's recursive reader runs out of stack. */
const MAX_VALUE_DEPTH = 1000;
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function walkUpdate(view: DocumentView | undefined): void {
  const clients = uint();
  // Yjs integrates clients from the highest down: in that order the walk can follow where each item goes.
  let previousClient = Infinity;
  /**
   * The clients listed so far, once they are out of Yjs's order. In that order none can be listed twice: until then
   * they are only pushed to a list of numbers, ~10× cheaper than a set for a crafted update of a million clients.
   */
  let seen: Set<number> | undefined;
  listedClients.length = 0;
  for (let i = 0; i < clients; i++) {
    const listStart = pos;
    const structs = uint();
    const client = uint();
    if (layout) {
      layout.structClients.push(client);
      layout.structStarts.push(listStart);
    }
    const inYjsOrder = client < previousClient;
    if (!inYjsOrder && !outOfOrder) {
      outOfOrder = true;
      seen = new Set(listedClients);
      listedClients.length = 0;
    }
    if (!outOfOrder) listedClients.push(client);
    // Yjs keeps only the last list of a client (the others vanish silently): never written, refused.
    if (seen?.has(client)) throw new MalformedUpdate(`client ${client} is listed twice`);
    seen?.add(client);
    clientSink?.push(client);
    previousClient = client;
    let clock = uint();
    /** Where the client's structs end up to its first skip, when they start at 0 (`WalkOptions.stateVector`). */
    let counted = clock === 0 ? 0 : -1;
    structSink?.listFirst.push(structSink.starts.length);
    const state = view ? view.state(client) : 0;
    /** Where the client's structs in the document end once those of the update before this one are in. */
    let next = state;
    /** Whether a struct of the client waits: Yjs then keeps every later one of it in the update waiting too. */
    let parked = false;
    parts += structs;
    if (parts > partsCap && fits(structs)) throw STOPPED;
    for (let s = 0; s < structs; s++) {
      if (pos >= bytes.length) throw endsEarly();
      if (structSink) {
        structSink.starts.push(pos);
        structSink.clocks.push(clock);
      }
      const info = bytes[pos++]!;
      if (info === SKIP || (info & BITS5) === 0) {
        const start = clock;
        clock += nonEmpty(uint()); // a Skip's or GC's length
        if (counted >= 0) counted = info === SKIP ? -(start + 1) : clock;
        if (view && start < state) known++;
        else if (view && info !== SKIP) adds++;
        if (view && clock > state) {
          view.addsNonItem(client, start, clock);
          if (parked || start > next) parked = waits = true;
          else if (info !== SKIP) next = clock; // Yjs integrates a GC; a skip leaves a gap
        }
        continue;
      }
      item.hasOrigin = (info & HAS_ORIGIN) !== 0;
      item.hasRightOrigin = (info & HAS_RIGHT_ORIGIN) !== 0;
      if (!item.hasOrigin && !item.hasRightOrigin) {
        if (uint() === 1) {
          // parent: a root type, by name
          if (view) item.parentName = text();
          else skipString();
        } else {
          earlier(client, clock); // parent: a nested type, by item ID
          if (view) noteReference(view);
          item.parentName = null;
          item.parentClient = refClient;
          item.parentClock = refClock;
        }
        if (!(info & HAS_PARENT_SUB)) item.parentSub = null;
        else if (view) item.parentSub = text();
        else skipString();
      } else {
        if (item.hasOrigin) {
          earlier(client, clock);
          if (view) noteReference(view);
          item.originClient = refClient;
          item.originClock = refClock;
        }
        if (item.hasRightOrigin) {
          earlier(client, clock);
          if (view) noteReference(view);
          item.rightClient = refClient;
          item.rightClock = refClock;
        }
      }
      const ref = info & BITS5;
      const start = clock;
      if (ref === Content.String) clock += nonEmpty(skipString());
      else if (ref === Content.Deleted) clock += nonEmpty(uint());
      else clock += nonEmpty(content(ref));
      if (counted >= 0) counted = clock;
      if (view === undefined) continue;
      if (start < state) {
        known++;
        if (clock <= state) continue; // Yjs skips what the document has
        straddling++;
      } else adds++;
      if (parked || start > next || refersToMissing(view, client)) {
        parked = waits = true;
        continue; // it waits: placed (and checked) when it is retried
      }
      item.client = client;
      item.clock = start;
      item.end = clock;
      if (start < next && start < state) {
        // Yjs integrates the part the document lacks, after the part it has
        item.clock = next;
        item.hasOrigin = true;
        item.originClient = client;
        item.originClock = next - 1;
      }
      // After the first item the walk cannot place, it cannot tell what lies between the neighbours of the next.
      const placed = scattered === 0 && item.clock === next && inYjsOrder && view.placesNextTo(item);
      if (typeof placed === "string") throw new MalformedUpdate(placed);
      if (!placed) {
        if (item.hasOrigin && item.hasRightOrigin) checkOrder(view, item);
        scattered++;
      }
      next = clock;
    }
    if (view) (reached ??= new Map()).set(client, next);
    structSink?.listEndClock.push(clock);
    // (a skip stopped the count at its start: -(start + 1))
    const counts = counted >= 0 ? counted : -counted - 1;
    if (svSink && counts > 0) svSink.set(client, counts);
  }
  if (view) for (let i = 0; i < beyond.length && !waits; i += 2) waits = beyond[i + 1]! >= reach(view, beyond[i]!);
  deletesStart = pos;
  if (layout) layout.structsEnd = pos;
  const deleteSetClients = uint();
  for (let i = 0; i < deleteSetClients; i++) {
    const listStart = pos;
    const client = uint();
    if (layout) {
      layout.deleteClients.push(client);
      layout.deleteStarts.push(listStart);
    }
    const ranges = uint();
    parts += ranges;
    if (parts > partsCap && fits(ranges)) throw STOPPED;
    const end = view && !waits ? reach(view, client) : 0;
    for (let r = 0; r < ranges; r++) {
      const clock = uint();
      const length = uint();
      // Yjs's own v2 encoder throws on an empty range, after the transaction applied it
      if (length === 0) throw new MalformedUpdate("a deleted range of length 0");
      if (view && clock + length > end) waits = true;
    }
  }
}

/**
 * Whether `count` structs or deleted ranges fit in the bytes left (each takes two bytes at least): a count that
 * cannot is no reason to stop early (`WalkOptions.stopAbove`), the walk goes on to say what is wrong.
 */
function fits(count: number): boolean {
  return count * 2 <= bytes.length - pos;
}

/** Notes the reference `earlier` read last when it is past what the document has (the update may have it). */
function noteReference(view: DocumentView): void {
  if (refClock >= view.state(refClient)) beyond.push(refClient, refClock);
}

/**
 * Whether the item read last (of `client`) refers to what neither the document nor the update's clients walked so
 * far will have: Yjs keeps it waiting. A reference to a client listed later is not known yet (`false`).
 */
function refersToMissing(view: DocumentView, client: number): boolean {
  if (item.hasOrigin || item.hasRightOrigin) {
    return (
      (item.hasOrigin && missing(view, client, item.originClient, item.originClock)) ||
      (item.hasRightOrigin && missing(view, client, item.rightClient, item.rightClock))
    );
  }
  return item.parentName === null && missing(view, client, item.parentClient, item.parentClock);
}

function missing(view: DocumentView, client: number, refClient: number, refClock: number): boolean {
  if (refClient === client || refClock < view.state(refClient)) return false; // its own client's: before it
  const end = reached?.get(refClient);
  return end !== undefined && refClock >= end;
}

/** Where the clocks of `client` end once the update is applied (its structs past a gap wait). */
function reach(view: DocumentView, client: number): number {
  return reached?.get(client) ?? view.state(client);
}

/** Refuses an item whose origin and right origin the document has, when the right one is not after the other. */
function checkOrder(view: DocumentView, refs: NewItem): void {
  const { originClient, originClock, rightClient, rightClock } = refs;
  if (originClock < view.state(originClient) && rightClock < view.state(rightClient) && !view.inOrder(originClient, originClock, rightClient, rightClock)) {
    throw new MalformedUpdate("an item whose right origin is not after its origin in the document");
  }
}

/**
 * Reads an item ID a struct at `clock` of `client` refers to (origin, right origin or parent). One of its own
 * client must come before it: Yjs looks it up without checking that it exists.
 */
function earlier(client: number, clock: number): void {
  refClient = uint();
  refClock = uint();
  if (refClient === client && refClock >= clock) throw new MalformedUpdate("a struct refers to itself or to a later struct of its client");
  if (structSink && refClient !== client) structSink.refs.push(structSink.starts.length - 1, refClient, refClock);
}

/** A struct's length: Yjs never writes one of 0, and a struct of length 0 breaks its lookups by clock. */
function nonEmpty(length: number): number {
  if (length === 0) throw new MalformedUpdate("a struct of length 0");
  return length;
}

/** The rarer contents (strings and deletions are read inline); returns the content's length in clock ticks. */
function content(ref: number): number {
  switch (ref) {
    case Content.JSON: {
      const count = uint();
      for (let i = 0; i < count; i++) {
        const json = text();
        if (json !== "undefined") parseJson(json);
      }
      return count;
    }
    case Content.Binary:
      skipBytes();
      return 1;
    case Content.Embed:
      parseJson(text());
      return 1;
    case Content.Format:
      skipString(); // key
      parseJson(text());
      return 1;
    case Content.Type: {
      const typeRef = uint();
      if (!(typeRef <= LAST_TYPE_REF)) throw new MalformedUpdate(`unknown type ref ${typeRef}`);
      if (NAMED_TYPE_REFS.has(typeRef)) skipString();
      types++;
      return 1;
    }
    case Content.Any: {
      const count = uint();
      for (let i = 0; i < count; i++) any();
      return count;
    }
    case Content.Doc: {
      skipString(); // guid
      // Yjs reads `opts.shouldLoad` off the options, so undefined or null throws there
      if (bytes[pos] === Any.Undefined || bytes[pos] === Any.Null) throw new MalformedUpdate("subdocument without options");
      any();
      return 1;
    }
    default:
      throw new MalformedUpdate(`unknown content ref ${ref}`);
  }
}

/**
 * One lib0 `writeAny` value. Nesting is capped: lib0 reads it recursively and overflows the stack at a depth that
 * depends on the stack size (~4 400 levels on Node's default), and this walk must never pass what Yjs then refuses.
 */
function any(depth = 0): void {
  if (depth > MAX_VALUE_DEPTH) throw new MalformedUpdate(`a value nested deeper than ${MAX_VALUE_DEPTH} levels`);
  if (pos >= bytes.length) throw endsEarly();
  const tag = bytes[pos++]!;
  if (tag < FIRST_ANY_TAG || tag > Any.Undefined) throw new MalformedUpdate(`unknown value tag ${tag}`);
  switch (tag) {
    case Any.Int:
      // lib0 varInt: a continuation bit, the sign and 6 bits first, then 7 bits per byte as in a varUint
      if (bytes[pos] !== undefined && bytes[pos]! & 0x80) longUint(bytes[pos++]! & 0x3f, 64);
      else if (pos++ >= bytes.length) throw endsEarly();
      return;
    case Any.Float32:
      skip(4);
      return;
    case Any.Float64:
    case Any.BigInt:
      skip(8);
      return;
    case Any.String:
      skipString();
      return;
    case Any.Bytes:
      skipBytes();
      return;
    case Any.Object: {
      const count = uint();
      for (let i = 0; i < count; i++) {
        skipString(); // key
        any(depth + 1);
      }
      return;
    }
    case Any.Array: {
      const count = uint();
      for (let i = 0; i < count; i++) any(depth + 1);
      return;
    }
    default: // undefined, null, false, true: the tag is the value
  }
}

function parseJson(json: string): void {
  try {
    JSON.parse(json);
  } catch {
    throw new MalformedUpdate("content that is not JSON");
  }
}

function endsEarly(): MalformedUpdate {
  return new MalformedUpdate("the update ends early");
}

function skip(length: number): void {
  if (!(length <= bytes.length - pos)) throw endsEarly(); // written so that NaN fails too
  pos += length;
}

function skipBytes(): void {
  skip(uint());
}

/**
 * A length-prefixed string, checked but not decoded: lib0 decodes UTF-8 strictly, so invalid UTF-8 fails there.
 * Returns its length in UTF-16 code units (what Yjs counts): one per byte that starts a character, two for a
 * character of four bytes.
 */
function skipString(): number {
  const length = uint();
  const start = pos;
  skip(length);
  for (let i = start; i < pos; i++) {
    // Up to the first non-ASCII byte no check is needed; from there (a character boundary) Node checks the rest.
    if (bytes[i]! >= 0x80) {
      if (!isUtf8(bytes.subarray(i, pos))) throw new MalformedUpdate("a string that is not UTF-8");
      let units = i - start;
      for (let j = i; j < pos; j++) {
        const byte = bytes[j]!;
        if ((byte & 0xc0) !== 0x80) units += byte >= 0xf0 ? 2 : 1;
      }
      return units;
    }
  }
  return length;
}

/** A length-prefixed string, decoded (for JSON contents). */
function text(): string {
  const length = uint();
  const start = pos;
  skip(length);
  try {
    return utf8.decode(bytes.subarray(start, pos));
  } catch {
    throw new MalformedUpdate("a string that is not UTF-8");
  }
}

/** lib0 varUint, with the one-byte case inline. */
function uint(): number {
  const first = bytes[pos];
  if (first !== undefined && first < 0x80) {
    pos++;
    return first;
  }
  return longUint();
}

/** lib0 varUint from `pos`: 7 bits per byte, low first, up to Number.MAX_SAFE_INTEGER (`value` and `scale`: read so far). */
function longUint(value = 0, scale = 1): number {
  for (;;) {
    if (pos >= bytes.length) throw endsEarly();
    const byte = bytes[pos++]!;
    value += (byte & 0x7f) * scale;
    // Checked before the last byte too, and written so that NaN fails (lib0 turns ~150 continuation bytes into
    // NaN, which no bounds check catches): stricter than lib0 only for integers Yjs never writes.
    if (!(value <= Number.MAX_SAFE_INTEGER)) throw new MalformedUpdate("an integer is out of range");
    if (byte < 0x80) return value;
    scale *= 128;
  }
}

/** Skips `count` varUints in one tight loop; only one long enough to overflow is read out. */
function _skipUints(count: number): void {
  for (let i = 0; i < count; i++) {
    const start = pos;
    while (bytes[pos]! >= 0x80) pos++;
    if (pos >= bytes.length) throw endsEarly();
    pos++;
    if (pos - start > SAFE_UINT_BYTES) {
      pos = start;
      longUint();
    }
  }
}
