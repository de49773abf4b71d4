/**
 * What the update walk (src/protocol/update-format.ts) asks of a room's document right before an update is
 * applied: its state per client, whether an item's right origin comes after its origin in the same list, and
 * whether each item the update adds goes right between the neighbours it names.
 *
 * Yjs places an item between its origin and right origin; when other items lie between them (concurrent inserts,
 * or a forged item naming neighbours far apart), it resolves the conflict by rules that give the same order on
 * every replica only for items as Yjs writes them. For a forged one, the order of arrival decides: a reload or a
 * fresh client (which integrate the document in another order) could place it otherwise than the live room.
 * An item whose named neighbours are next to each other when it arrives has one place, whatever arrives later;
 * so has one with items between them that its sender had not seen (concurrent inserts: Yjs's rules order those
 * alike everywhere), placed by those rules (conflict-run.ts); one whose sender had seen one of them (causal-past.ts)
 * names neighbours it knew were apart, and is refused. The view follows the update's items into the document
 * (without changing it) to tell which items are which. The fan-out's common insert (after its client's previous
 * unit, no right origin) is proved not to be such a one instead of searched, when that unit passed (passed-tails.ts).
 * Yjs's UndoManager writes such items when it redoes into a type it restored (yjs/yjs#794): in a nested type, one whose
 * client's own earlier unit lies between its neighbours is left to the copy check, and every later item into that list
 * is checked against it (order-spans.ts).
 */
import * as Y from "yjs";
import type { DocumentView, NewItem } from "../protocol/update-format.js";
import { arrivalsOf, type Arrivals } from "./arrivals.js";
import { pastHolds, type UpdateItems } from "./causal-past.js";
import { ConflictRun, EDGE, type Piece } from "./conflict-run.js";
import { MAX_ORDER_STEPS_PER_UPDATE } from "./defaults.js";
import { insideDeletedType, spansIn, UNKNOWN_SPANS } from "./order-spans.js";
import { extendsPassedTail, passedTailsOf, recordPassed, type PassedTails } from "./passed-tails.js";

/**
 * Numbers per placed item in `#placed`: its client, first and last clock, the units left and right of it when it was
 * placed, and the references it names (origin, right origin, parent item; `EDGE` when absent).
 */
const STRIDE = 13;
/**
 * Items of one update the view follows; past that it counts the rest as not placed (and the update is checked on a
 * copy): the lookups scan the placed items, which stays cheap for an editor's updates (one to a few items).
 */
const MAX_PLACED = 2_048;
const NONE: readonly number[] = [];
/** Where a placed item's named references are in `#placed`: origin, right origin, parent item (client, clock each). */
const NAMED = [7, 9, 11] as const;
/**
 * Pieces of items between one item's named neighbours the view follows, and between those of all items of one update
 * (each piece is looked up among the item's earlier ones); past that, an item's place counts as not known.
 * Concurrent typing puts a few between them.
 */
const MAX_CONFLICT_PIECES = 1_024;
const MAX_CONFLICT_PIECES_PER_UPDATE = 16_384;
/** Structs the causal searches of one update may read (causal-past.ts); past that, an item's place counts as not known. */
const MAX_PAST_STEPS_PER_UPDATE = 200_000;

/** The references an item names, for the causal search: scratch of `#placeAmongConcurrent` (never re-entered). */
const refs: number[] = [];
/** The conflict rule's state, and the piece `#piece` returns: scratch of `#placeAmongConcurrent` too. */
const conflict = new ConflictRun();
const scratchPiece: Piece = { client: 0, first: 0, last: 0, originClient: EDGE, originClock: 0, rightClient: EDGE, rightClock: 0 };
/** The document's item `scratchPiece` was read from (`null`: a piece of the update's items), until `#rightOfPiece`. */
let pieceItem: Y.Item | null = null;

/** Yjs's `getItem` without an ID object per lookup: the struct holding the unit (it must be in the document). */
function itemAt(store: Y.Doc["store"], client: number, clock: number): Y.Item | Y.GC {
  const structs = store.clients.get(client)!;
  return structs[Y.findIndexSS(structs, clock)]!;
}

/**
 * What `#listOf` found: a nested list of the document (`#listType`, `#listKey`), a type the update creates, a list that
 * holds no spans (a root type's, or none: Yjs collects the item), or nothing known.
 */
type ListFound = 0 | 1 | 2 | 3;
const LIST_FOUND = 0;
const LIST_CREATED = 1;
const LIST_WITHOUT_SPANS = 2;
const LIST_UNKNOWN = 3;

/** A neighbour: a unit (one character, one value) by ID, or `EDGE`; `null` when collected, `undefined` unknown. */
type Neighbour = { client: number; clock: number } | null | undefined;

export class YDocumentView implements DocumentView, UpdateItems {
  /** Steps left for this update's order checks (legit inserts take one: their origins were neighbours). */
  #budget = MAX_ORDER_STEPS_PER_UPDATE;
  /** What this update's items among concurrent ones may still cost: pieces visited, structs searched. */
  #conflictPieces = MAX_CONFLICT_PIECES_PER_UPDATE;
  readonly #pastSteps = { left: MAX_PAST_STEPS_PER_UPDATE };
  /** The update's items placed so far, `STRIDE` numbers each (neighbours as they were when it was placed). */
  #placed: number[] | undefined;
  /** Per placed item, the map key it names with its parent item (`null` for the others). */
  readonly #placedKeys: Array<string | null> = [];
  /** Scratch result of `#listOf`: the list's type and key (`null`: its list). */
  #listType: Y.AbstractType<any> | null = null;
  #listKey: string | null = null;
  /**
   * What `#listOf` found for the update's placed items it went through (by their index in `#placed`): they are all in
   * the list it found. Without it, each item of a paste walked back through every item before it (a chain of origins),
   * each step a scan of the placed items: a slice of 2 000 items took ~0.4 s instead of ~15 ms.
   */
  #listsOfPlaced: Map<number, { found: ListFound; type: Y.AbstractType<any> | null; key: string | null }> | undefined;
  /** Lists and map keys an item without origins of the update went into: parent (name or ID) and key. */
  #filled: Array<string | number | null> | undefined;
  /** Clients with a GC or skip in the update: their new units are not told apart from those of items. */
  #withNonItems: Set<number> | undefined;
  /**
   * Items of the update that Yjs collects (their origin, right origin or parent is collected), as client, first and
   * last clock: they are never placed, and Yjs collects what names them in turn.
   */
  #collected: number[] | undefined;
  /** Scratch result of `#right` / `#left`, to return a unit without allocating. */
  readonly #found = { client: 0, clock: 0 };
  /** Whether the update holds one struct: no later item of it needs to know where its item goes. */
  readonly #loneStruct: boolean;
  /** Items placed naming no right origin, as client, end pairs: recorded once the update is applied (`recordPassed`). */
  readonly #passed: number[] = [];
  #proved = 0;

  /**
   * `update`: the bytes about to be walked, when known (a lone struct is then proved without walking its conflict).
   * `tails`: the records that let the check prove instead of search; `null` searches always.
   */
  constructor(
    private readonly doc: Y.Doc,
    update?: Uint8Array,
    private readonly tails: PassedTails | null = passedTailsOf(doc),
  ) {
    this.#loneStruct = update !== undefined && holdsOneStruct(update);
  }

  /** Items among concurrent ones whose check was proved from `tails` instead of searched (passed-tails.ts). */
  get proved(): number {
    return this.#proved;
  }

  /** Notes, once the walked update is applied (none of it waiting, all of it placed), which of its items passed. */
  recordPassed(): void {
    if (this.tails !== null && this.#passed.length > 0) recordPassed(this.doc, this.tails, this.#passed);
  }

  state(client: number): number {
    return Y.getState(this.doc.store, client);
  }

  inOrder(originClient: number, originClock: number, rightClient: number, rightClock: number): boolean {
    const { store } = this.doc;
    const left = itemAt(store, originClient, originClock);
    const right = itemAt(store, rightClient, rightClock);
    if (!(left instanceof Y.Item) || !(right instanceof Y.Item)) return true; // Yjs collects the item
    // Both naming one unit: Yjs's UndoManager writes such items when it redoes (yjs/yjs#794). Not refused here: the
    // walk leaves the item to the copy check, which refuses it only if a reload would place it elsewhere.
    if (left === right) return rightClock >= originClock;
    if (left.parent !== right.parent || left.parentSub !== right.parentSub) return false;
    for (let item = left.right; item !== null; item = item.right) {
      if (item === right) return true;
      if (--this.#budget < 0) return false; // too far apart for any editor's insert
    }
    return false;
  }

  addsNonItem(client: number): void {
    (this.#withNonItems ??= new Set()).add(client); // what an item names there is unknown (Yjs collects the item)
  }

  placesNextTo(item: NewItem): boolean | string {
    if (this.#placed !== undefined && this.#placed.length >= MAX_PLACED * STRIDE) return false;
    let first: Neighbour; // the list's first unit after the item's origin, when something lies between its neighbours
    if (item.hasOrigin) {
      const next = this.#right(item.originClient, item.originClock);
      if (next === null) return this.#collect(item); // its origin is collected: so is the item
      if (next === undefined) return false;
      if (item.hasRightOrigin ? next.client !== item.rightClient || next.clock !== item.rightClock : next.client !== EDGE) first = next;
    } else if (item.hasRightOrigin) {
      const previous = this.#left(item.rightClient, item.rightClock);
      if (previous === null) return this.#collect(item);
      if (previous === undefined) return false;
      if (previous.client !== EDGE) first = this.#firstOfListOf(item.rightClient, item.rightClock);
    } else {
      const empty = this.#isEmpty(item);
      if (empty === null) return this.#collect(item);
      if (empty === undefined) return false;
      if (!empty) first = this.#firstOfParent(item);
    }
    if (first === undefined) {
      this.#place(item, item.hasOrigin ? item.originClient : EDGE, item.originClock, item.hasRightOrigin ? item.rightClient : EDGE, item.rightClock);
      return this.#clearOfSpans(item);
    }
    if (first === null) return false;
    const proved = this.tails !== null && extendsPassedTail(this.tails, item);
    if (proved && this.#loneStruct) {
      // Where among the concurrent items it goes is asked by no later item of the update: not walked.
      this.#proved++;
      this.#passed.push(item.client, item.end);
      return this.#clearOfSpans(item);
    }
    const placed = this.#placeAmongConcurrent(item, first.client, first.clock, proved);
    return placed === true ? this.#clearOfSpans(item) : placed;
  }

  /**
   * Whether `item`, placed, leaves every item of its list that names neighbours its client knew were apart where it
   * is (order-spans.ts): each is in its causal past (every order of arrival integrates it first), or the list holds
   * none. `false` (left to the copy check) otherwise, or when that is not known.
   */
  #clearOfSpans(item: NewItem): boolean {
    const list = this.#listOf(item);
    if (list === LIST_WITHOUT_SPANS || list === LIST_CREATED) return true; // a type the update creates holds none yet
    if (list === LIST_UNKNOWN) return false;
    const spans = spansIn(this.doc, this.#listType!, this.#listKey);
    this.#listType = null; // not kept: it would hold the room's document
    if (spans === UNKNOWN_SPANS) return false;
    const arrivals = spans.length > 0 ? arrivalsOf(this.doc) : undefined;
    for (let i = 0; i < spans.length; i += 2) {
      const client = spans[i]!;
      const clock = spans[i + 1]!;
      if (client === item.client && clock < item.clock) continue; // its own client's earlier unit
      const past = new Map([[client, clock]]);
      if (this.#pastHolds(item, arrivals!, past, arrivals!.of(client, clock)) !== true) return false;
    }
    return true;
  }

  /** Notes `item` as one Yjs collects (it goes nowhere: any place is every replica's). */
  #collect(item: NewItem): true {
    (this.#collected ??= []).push(item.client, item.clock, item.end - 1);
    return true;
  }

  /** Whether the unit is part of an item of the update that Yjs collects. */
  #isCollected(client: number, clock: number): boolean {
    const collected = this.#collected ?? NONE;
    for (let i = 0; i < collected.length; i += 3) {
      if (collected[i] === client && collected[i + 1]! <= clock && clock <= collected[i + 2]!) return true;
    }
    return false;
  }

  /** Notes `item` as placed between the units given (`EDGE`: a list's edge), with the references it names. */
  #place(item: NewItem, leftClient: number, leftClock: number, rightClient: number, rightClock: number): void {
    if (!item.hasRightOrigin) this.#passed.push(item.client, item.end);
    const parentClient = !item.hasOrigin && !item.hasRightOrigin && item.parentName === null ? item.parentClient : EDGE;
    this.#placedKeys.push(parentClient === EDGE ? null : item.parentSub);
    (this.#placed ??= []).push(
      item.client,
      item.clock,
      item.end - 1,
      leftClient,
      leftClock,
      rightClient,
      rightClock,
      item.hasOrigin ? item.originClient : EDGE,
      item.originClock,
      item.hasRightOrigin ? item.rightClient : EDGE,
      item.rightClock,
      parentClient,
      item.parentClock,
    );
  }

  /**
   * An item with other items between its named neighbours (from the unit `firstClient`, `firstClock` on): placed
   * where Yjs's conflict rule puts it, when its sender had seen none of them (they were inserted concurrently, so
   * every order of arrival places it alike). A refusal (a string) when its sender had seen one: the neighbours it
   * names were not next to each other for it, and a reload could order it otherwise. `false` when that is not known.
   * `proved`: its sender is known to have seen none of them (passed-tails.ts): placed without the causal search.
   */
  #placeAmongConcurrent(item: NewItem, firstClient: number, firstClock: number, proved: boolean): boolean | string {
    conflict.start(item);
    const arrivals = arrivalsOf(this.doc);
    /** Per client, the lowest clock of the items between the neighbours; and the earliest arrival among them. */
    const between = new Map<number, number>();
    let since = Number.POSITIVE_INFINITY;
    let client = firstClient;
    let clock = firstClock;
    while (!(item.hasRightOrigin ? client === item.rightClient && clock === item.rightClock : client === EDGE)) {
      if (client === EDGE || --this.#budget < 0 || --this.#conflictPieces < 0 || conflict.length >= MAX_CONFLICT_PIECES) return false;
      const piece = this.#piece(client, clock, item);
      if (piece === undefined) return false;
      conflict.visit(piece);
      if (!((between.get(client) ?? Number.POSITIVE_INFINITY) <= clock)) between.set(client, clock);
      since = Math.min(since, arrivals.of(client, clock));
      const next = this.#rightOfPiece(piece);
      if (!next) return false;
      client = next.client;
      clock = next.clock;
    }
    if (proved) this.#proved++;
    else {
      const knew = this.#pastHolds(item, arrivals, between, since);
      if (knew === undefined) return false;
      if (knew) return this.#mayBeRedo(item, between) ? false : "an item that names neighbours its sender knew were apart (items it had seen lie between them)";
    }
    const { goesFirst, leftClient, leftClock } = conflict;
    const right = goesFirst ? this.#unit(firstClient, firstClock) : this.#right(leftClient, leftClock);
    if (!right) return false;
    this.#place(item, goesFirst ? EDGE : leftClient, goesFirst ? 0 : leftClock, right.client, right.clock);
    return true;
  }

  /**
   * Whether `item`, which names neighbours its sender knew were apart, is left to the copy check rather than refused.
   * Yjs's UndoManager writes such items when it redoes into a type it restored (yjs/yjs#794), never in a root type
   * (a redo names the deleted item's own neighbours there), so the item must go into a nested type (found through its
   * named neighbours or its parent, following the update's own items back to one in the document, or a type the update
   * creates), and either
   * - an earlier unit of its own client lies between its neighbours (`between`: per client, the lowest clock there),
   *   which makes it findable in the document again, also after a reload (order-spans.ts), so that the later items of
   *   its list are checked against it; or
   * - the type is deleted, or inside a deleted one: its content is shown to no one, and a sender may know an item there
   *   only as collected (from a peer that collects deleted content), never having seen it there.
   */
  #mayBeRedo(item: NewItem, between: ReadonlyMap<number, number>): boolean {
    const list = this.#listOf(item);
    const type = list === LIST_FOUND ? this.#listType! : null;
    this.#listType = null;
    if (list === LIST_FOUND ? type!._item === null : list !== LIST_CREATED) return false;
    return (between.get(item.client) ?? Number.POSITIVE_INFINITY) < item.clock || (type !== null && insideDeletedType(type));
  }

  /**
   * The list `item` goes into (`LIST_FOUND`: `#listType` and `#listKey` say which), found through its named neighbours
   * or parent, following the update's own items back to one in the document.
   */
  #listOf(item: NewItem): ListFound {
    let client: number;
    let clock: number;
    let isParent = false; // whether (client, clock) is the list's type item rather than a unit in the list
    let key: string | null = null;
    if (item.hasOrigin) [client, clock] = [item.originClient, item.originClock];
    else if (item.hasRightOrigin) [client, clock] = [item.rightClient, item.rightClock];
    else if (item.parentName === null) [client, clock, isParent, key] = [item.parentClient, item.parentClock, true, item.parentSub];
    else return LIST_WITHOUT_SPANS; // a root type
    const through: number[] = []; // the update's placed items gone through: in the same list
    const found = this.#listFrom(client, clock, isParent, key, through);
    if (found !== LIST_UNKNOWN || through.length < MAX_PLACED) {
      const memo = (this.#listsOfPlaced ??= new Map());
      for (const at of through) memo.set(at, { found, type: this.#listType, key: this.#listKey });
    }
    return found;
  }

  /** `#listOf` from the unit an item names (or its parent, `isParent`); notes the placed items it goes through. */
  #listFrom(client: number, clock: number, isParent: boolean, key: string | null, through: number[]): ListFound {
    for (let steps = 0; steps < MAX_PLACED; steps++) {
      if (clock < this.state(client)) {
        const found = itemAt(this.doc.store, client, clock);
        if (!(found instanceof Y.Item)) return LIST_WITHOUT_SPANS; // Yjs collects the item
        if (isParent && !(found.content instanceof Y.ContentType)) return LIST_WITHOUT_SPANS;
        const type = isParent ? (found.content as Y.ContentType).type : (found.parent as Y.AbstractType<any>);
        if (type._item === null) return LIST_WITHOUT_SPANS;
        this.#listType = type;
        this.#listKey = isParent ? key : found.parentSub;
        return LIST_FOUND;
      }
      if (isParent) return this.#isPlaced(client, clock) ? LIST_CREATED : LIST_UNKNOWN;
      const at = this.#placedAt(client, clock);
      if (at < 0) return LIST_UNKNOWN;
      const known = this.#listsOfPlaced?.get(at);
      if (known !== undefined) {
        this.#listType = known.type;
        this.#listKey = known.key;
        return known.found;
      }
      through.push(at);
      const placed = this.#placed!;
      const named = NAMED.find((offset) => placed[at + offset] !== EDGE);
      if (named === undefined) return LIST_WITHOUT_SPANS; // an item of the update in a root type
      if (named === NAMED[2]) [isParent, key] = [true, this.#placedKeys[at / STRIDE]!];
      [client, clock] = [placed[at + named]!, placed[at + named + 1]!];
    }
    return LIST_UNKNOWN;
  }

  /**
   * The causal search (causal-past.ts): whether `item`'s sender had seen one of `units` (per client, the lowest clock
   * looked for), all of which arrived at `since` or later: the items between its neighbours, or an item of a span.
   */
  #pastHolds(item: NewItem, arrivals: Arrivals, units: ReadonlyMap<number, number>, since: number): boolean | undefined {
    refs.length = 0;
    if (item.hasOrigin) refs.push(item.originClient, item.originClock);
    if (item.hasRightOrigin) refs.push(item.rightClient, item.rightClock);
    if (item.clock > 0) refs.push(item.client, item.clock - 1);
    if (!item.hasOrigin && !item.hasRightOrigin && item.parentName === null) refs.push(item.parentClient, item.parentClock);
    return pastHolds(this.doc, arrivals, this, refs, units, since, this.#pastSteps);
  }

  /**
   * The piece of an item from unit (`client`, `clock`) to its end, or to where `item`'s right origin or an item of the
   * update splits it. One scratch object, valid until the next call.
   */
  #piece(client: number, clock: number, item: NewItem): Piece | undefined {
    const piece = scratchPiece;
    piece.client = client;
    piece.first = clock;
    piece.last = clock;
    piece.originClient = EDGE;
    piece.originClock = 0;
    piece.rightClient = EDGE;
    piece.rightClock = 0;
    pieceItem = null;
    if (clock < this.state(client)) {
      const found = itemAt(this.doc.store, client, clock);
      if (!(found instanceof Y.Item)) return undefined;
      pieceItem = found;
      piece.last = found.id.clock + found.length - 1;
      if (clock > found.id.clock) {
        piece.originClient = client;
        piece.originClock = clock - 1;
      } else if (found.origin !== null) {
        piece.originClient = found.origin.client;
        piece.originClock = found.origin.clock;
      }
      if (found.rightOrigin !== null) {
        piece.rightClient = found.rightOrigin.client;
        piece.rightClock = found.rightOrigin.clock;
      }
    } else {
      const at = this.#placedAt(client, clock);
      if (at < 0) return undefined;
      const placed = this.#placed!;
      piece.last = placed[at + 2]!;
      const named = clock === placed[at + 1]!; // its first unit names the item's origin; a later one the unit before
      piece.originClient = named ? placed[at + 7]! : client;
      piece.originClock = named ? placed[at + 8]! : clock - 1;
      piece.rightClient = placed[at + 9]!;
      piece.rightClock = placed[at + 10]!;
    }
    // The item's right origin splits it before that unit, and an item of the update placed after one of its units there
    if (item.hasRightOrigin && item.rightClient === client && item.rightClock > clock && item.rightClock <= piece.last) piece.last = item.rightClock - 1;
    const placed = this.#placed ?? NONE;
    for (let i = 0; i < placed.length; i += STRIDE) {
      if (placed[i + 3] === client && placed[i + 4]! >= clock && placed[i + 4]! < piece.last) piece.last = placed[i + 4]!;
    }
    return piece;
  }

  /**
   * `#right` of the piece's last unit. A piece that ends its document item, with no item of the update placed yet
   * (an editor's update has one), is followed by the item's right neighbour: no second lookup of the item.
   */
  #rightOfPiece(piece: Piece): Neighbour {
    const item = pieceItem;
    pieceItem = null; // kept no longer: it would hold the room's document
    if (item === null || this.#placed !== undefined || piece.last !== item.id.clock + item.length - 1) return this.#right(piece.client, piece.last);
    return item.right === null ? this.#unit(EDGE, 0) : this.#unit(item.right.id.client, item.right.id.clock);
  }

  /** Where in `#placed` the update's placed item holding (`client`, `clock`) is, or -1. */
  #placedAt(client: number, clock: number): number {
    const placed = this.#placed ?? NONE;
    for (let i = placed.length - STRIDE; i >= 0; i -= STRIDE) {
      if (placed[i] === client && placed[i + 1]! <= clock && clock <= placed[i + 2]!) return i;
    }
    return -1;
  }

  /** For the causal search (causal-past.ts): the references of the update's item holding (`client`, `clock`). */
  refsOf(client: number, clock: number, refs: number[]): number {
    const at = this.#placedAt(client, clock);
    if (at < 0 || this.#withNonItems?.has(client)) return -1;
    const placed = this.#placed!;
    refs.length = 0;
    for (const offset of NAMED) if (placed[at + offset] !== EDGE) refs.push(placed[at + offset]!, placed[at + offset + 1]!);
    return placed[at + 2]! + 1;
  }

  /** The first unit of the list holding the document's unit (`client`, `clock`); `null` when not known. */
  #firstOfListOf(client: number, clock: number): Neighbour {
    if (clock >= this.state(client)) return null;
    const found = itemAt(this.doc.store, client, clock);
    if (!(found instanceof Y.Item) || !(found.parent instanceof Y.AbstractType)) return null;
    return this.#firstOf(found.parent, found.parentSub);
  }

  /** The first unit of the list (or map key) an item without origins names; `null` when not known. */
  #firstOfParent(item: NewItem): Neighbour {
    let type: unknown;
    if (item.parentName !== null) type = this.doc.share.get(item.parentName);
    else if (item.parentClock < this.state(item.parentClient)) {
      const found = itemAt(this.doc.store, item.parentClient, item.parentClock);
      if (found instanceof Y.Item && found.content instanceof Y.ContentType) type = found.content.type;
    }
    return type instanceof Y.AbstractType ? this.#firstOf(type, item.parentSub) : null;
  }

  /** The first unit of `type`'s list or of its entry `key`, as in the document: `null` when the update placed one first. */
  #firstOf(type: Y.AbstractType<any>, key: string | null): Neighbour {
    const placed = this.#placed ?? NONE;
    for (let i = 0; i < placed.length; i += STRIDE) if (placed[i + 3] === EDGE) return null;
    let first = key === null ? type._start : (type._map.get(key) ?? null);
    while (key !== null && first?.left) first = first.left;
    return first === null ? null : this.#unit(first.id.client, first.id.clock);
  }

  /** The unit right of (`client`, `clock`) now (`EDGE` at a list's end). */
  #right(client: number, clock: number): Neighbour {
    const placed = this.#placed ?? NONE;
    // The latest item placed after the unit, or the unit's own item (whose right neighbour is then the one it named)
    for (let i = placed.length - STRIDE; i >= 0; i -= STRIDE) {
      if (placed[i + 3] === client && placed[i + 4] === clock) return this.#unit(placed[i]!, placed[i + 1]!);
      if (placed[i] === client && placed[i + 2] === clock) return this.#unit(placed[i + 5]!, placed[i + 6]!);
    }
    if (clock >= this.state(client)) return this.#neighbourInUpdate(client, clock, 1);
    const found = itemAt(this.doc.store, client, clock);
    if (!(found instanceof Y.Item)) return null;
    if (clock < found.id.clock + found.length - 1) return this.#unit(client, clock + 1);
    return found.right === null ? this.#unit(EDGE, 0) : this.#unit(found.right.id.client, found.right.id.clock);
  }

  /** The unit left of (`client`, `clock`) now, as `#right`. */
  #left(client: number, clock: number): Neighbour {
    const placed = this.#placed ?? NONE;
    for (let i = placed.length - STRIDE; i >= 0; i -= STRIDE) {
      if (placed[i + 5] === client && placed[i + 6] === clock) return this.#unit(placed[i]!, placed[i + 2]!);
      if (placed[i] === client && placed[i + 1] === clock) return this.#unit(placed[i + 3]!, placed[i + 4]!);
    }
    if (clock >= this.state(client)) return this.#neighbourInUpdate(client, clock, -1);
    const found = itemAt(this.doc.store, client, clock);
    if (!(found instanceof Y.Item)) return null;
    if (clock > found.id.clock) return this.#unit(client, clock - 1);
    const left = found.left;
    return left === null ? this.#unit(EDGE, 0) : this.#unit(left.id.client, left.id.clock + left.length - 1);
  }

  /**
   * The unit `step` along from (`client`, `clock`), a unit past the document's state: `null` in an item of the update
   * that Yjs collects, `undefined` unless an item the update placed holds it.
   */
  #neighbourInUpdate(client: number, clock: number, step: 1 | -1): Neighbour {
    if (this.#isCollected(client, clock)) return null;
    return this.#isPlaced(client, clock) ? this.#unit(client, clock + step) : undefined;
  }

  #unit(client: number, clock: number): { client: number; clock: number } {
    this.#found.client = client;
    this.#found.clock = clock;
    return this.#found;
  }

  /** Whether the unit is part of an item of the update placed so far (past the document's state). */
  #isPlaced(client: number, clock: number): boolean {
    if (this.#withNonItems?.has(client)) return false;
    const placed = this.#placed ?? NONE;
    for (let i = placed.length - STRIDE; i >= 0; i -= STRIDE) if (placed[i] === client) return clock <= placed[i + 2]!;
    return false;
  }

  /**
   * Whether the list (or map key) an item without origins names is empty, as far as the document and the update's
   * items placed so far go: `true` (then noted as filled), `false`, `undefined` unknown, `null` Yjs collects the item.
   */
  #isEmpty(item: NewItem): boolean | null | undefined {
    const parent = item.parentName ?? item.parentClient;
    const clock = item.parentName === null ? item.parentClock : -1;
    const filled = (this.#filled ??= []);
    for (let i = 0; i < filled.length; i += 3) {
      if (filled[i] === parent && filled[i + 1] === clock && filled[i + 2] === item.parentSub) return false;
    }
    let type: Y.AbstractType<any> | undefined;
    if (item.parentName !== null) type = this.doc.share.get(item.parentName);
    else if (item.parentClock < this.state(item.parentClient)) {
      const found = itemAt(this.doc.store, item.parentClient, item.parentClock);
      if (!(found instanceof Y.Item) || !(found.content instanceof Y.ContentType)) return null;
      type = found.content.type;
    } else if (this.#isCollected(item.parentClient, item.parentClock)) return null;
    else if (!this.#isPlaced(item.parentClient, item.parentClock)) return undefined;
    // `undefined`: a type the update creates, or a root nobody used
    if (type !== undefined && (item.parentSub === null ? type._start !== null : type._map.has(item.parentSub))) return false;
    filled.push(parent, clock, item.parentSub);
    return true;
  }
}

/** Whether a v1 update holds one client with one struct: its first two varUints (struct lists, structs) are 1. */
function holdsOneStruct(update: Uint8Array): boolean {
  return update[0] === 1 && update[1] === 1;
}
