/**
 * Structural mutations of real Yjs updates: clocks, client ids, origin / right origin / parent references, info
 * bits, content kinds and lengths, delete sets, and whole structs spliced, duplicated or truncated. References
 * are drawn from the ids the target document knows (`MutationContext.known`), so most mutants are well-formed
 * and reach Yjs's integrate step, which is where refused frames used to change documents.
 */
import * as Y from "yjs";
import { decodeStructs, encodeStructs, structLength, type ItemContent, type RawId, type RawStruct, type RawUpdate } from "./struct-codec.js";

export interface MutationContext {
  random: () => number;
  /** Ids present in the target document (or in the updates mutated): references aim here most of the time. */
  known: RawId[];
  /** Root type names the target document uses. */
  roots: string[];
}

/** One mutant of `update` (a v1 update): 1–3 structural mutations, bytes re-encoded. */
export function mutateUpdate(update: Uint8Array, context: MutationContext): Uint8Array {
  const raw = decodeStructs(update);
  const count = 1 + Math.floor(context.random() * 3);
  for (let i = 0; i < count; i++) mutateOnce(raw, context);
  return encodeStructs(raw);
}

type Mutation = (raw: RawUpdate, context: MutationContext) => void;

const mutations: Mutation[] = [
  // references
  (raw, c) => withItem(raw, c, (item) => (item.origin = pickId(c))),
  (raw, c) => withItem(raw, c, (item) => (item.rightOrigin = pickId(c))),
  (raw, c) =>
    withItem(raw, c, (item, section) => {
      item.origin = null;
      item.rightOrigin = null;
      item.parent = chance(c, 0.3) ? (pick(c, c.roots) ?? "t") : chance(c, 0.3) ? { client: section.client, clock: section.clock + int(c, 8) } : pickId(c);
    }),
  (raw, c) => withItem(raw, c, (item, section) => (item.origin = { client: section.client, clock: section.clock + int(c, 16) })),
  (raw, c) => withItem(raw, c, (item) => (item.parentSub = chance(c, 0.5) ? null : pick(c, ["k", "x", "", "title"])!)),
  // info bits and content kinds
  (raw, c) => withItem(raw, c, (item) => (item.info = (item.info ?? infoOf(item)) ^ (0x20 << int(c, 3)))),
  (raw, c) => withItem(raw, c, (item) => (item.content = randomContent(c))),
  (raw, c) => withItem(raw, c, (item) => (item.ref = 1 + int(c, 9))),
  // clocks and clients
  (raw, c) => withSection(raw, c, (section) => (section.clock = Math.max(0, section.clock + int(c, 21) - 10))),
  (raw, c) => withSection(raw, c, (section) => (section.client = chance(c, 0.5) ? pickId(c).client : int(c, 2 ** 32))),
  (raw, c) => withSection(raw, c, (section) => raw.sections.push({ ...section, structs: [...section.structs] })),
  // struct lists
  (raw, c) => withSection(raw, c, (section) => section.structs.splice(int(c, section.structs.length + 1), 0, pick(c, allStructs(raw)) ?? gc(c))),
  (raw, c) => withSection(raw, c, (section) => section.structs.splice(int(c, section.structs.length), 1 + int(c, 3))),
  (raw, c) => withSection(raw, c, (section) => (section.structs.length = int(c, section.structs.length + 1))),
  (raw, c) => withSection(raw, c, (section) => section.structs.splice(int(c, section.structs.length + 1), 0, gc(c))),
  (raw, c) => withSection(raw, c, (section) => section.structs.reverse()),
  (raw, c) => {
    if (raw.sections.length > 1) raw.sections.splice(int(c, raw.sections.length), 1);
  },
  // delete sets
  (raw, c) => {
    const id = pickId(c);
    raw.deletes.push({ client: id.client, ranges: [[Math.max(0, id.clock - int(c, 4)), pick(c, [0, 1, 3, 50, 2 ** 20])!]] });
  },
  (raw, c) => {
    const entry = pick(c, raw.deletes);
    if (entry) entry.ranges = entry.ranges.map(([clock, length]) => [clock + int(c, 3), length + int(c, 5) - 1 < 0 ? 0 : length + int(c, 5) - 1]);
  },
  (raw, c) => {
    const entry = pick(c, raw.deletes);
    if (entry) entry.ranges.reverse();
  },
];

function mutateOnce(raw: RawUpdate, context: MutationContext): void {
  mutations[int(context, mutations.length)]!(raw, context);
}

type Item = Extract<RawStruct, { kind: "item" }>;

function withSection(raw: RawUpdate, c: MutationContext, change: (section: RawUpdate["sections"][number]) => void): void {
  const section = pick(c, raw.sections);
  if (section) change(section);
  else raw.sections.push({ client: pickId(c).client, clock: 0, structs: [gc(c)] });
}

function withItem(raw: RawUpdate, c: MutationContext, change: (item: Item, section: RawUpdate["sections"][number]) => void): void {
  const candidates = raw.sections.flatMap((section) => section.structs.flatMap((struct) => (struct.kind === "item" ? [{ struct, section }] : [])));
  const chosen = pick(c, candidates);
  if (chosen) return change(chosen.struct, chosen.section);
  // Nothing to mutate: add an item at the end of a section.
  const section = pick(c, raw.sections) ?? { client: pickId(c).client, clock: 0, structs: [] };
  if (!raw.sections.includes(section)) raw.sections.push(section);
  const item: Item = { kind: "item", origin: null, rightOrigin: null, parent: pick(c, c.roots) ?? "t", parentSub: null, content: randomContent(c) };
  section.structs.push(item);
  change(item, section);
}

function infoOf(item: Item): number {
  return (item.content.getRef() & 0b11111) | (item.origin ? 0x80 : 0) | (item.rightOrigin ? 0x40 : 0) | (item.parentSub !== null ? 0x20 : 0);
}

function allStructs(raw: RawUpdate): RawStruct[] {
  return raw.sections.flatMap((section) => section.structs);
}

function gc(c: MutationContext): RawStruct {
  return { kind: chance(c, 0.5) ? "gc" : "skip", length: pick(c, [1, 2, 7, 1000])! };
}

const TYPE_REFS = [0, 1, 2, 3, 4, 5, 6];

/** A content of any kind Yjs knows, as Yjs would encode it. */
function randomContent(c: MutationContext): ItemContent {
  switch (int(c, 9)) {
    case 0:
      return new Y.ContentDeleted(1 + int(c, 5));
    case 1:
      return new Y.ContentString(pick(c, ["x", "hello", "é🌍"])!);
    case 2:
      return new Y.ContentAny([int(c, 100), { a: [1] }]);
    case 3:
      return new Y.ContentEmbed({ image: "x.png" });
    case 4:
      return new Y.ContentFormat(pick(c, ["bold", "italic"])!, (chance(c, 0.5) ? true : null) as unknown as object);
    case 5:
      return new Y.ContentBinary(Uint8Array.of(1, 2, 3));
    case 6:
      return new Y.ContentDoc(new Y.Doc({ guid: `sub-${int(c, 4)}` }));
    case 7:
      return new Y.ContentJSON([1, "two"]);
    default:
      return new Y.ContentType(typeOfRef(pick(c, TYPE_REFS)!));
  }
}

function typeOfRef(ref: number): Y.AbstractType<any> {
  switch (ref) {
    case 0:
      return new Y.Array();
    case 1:
      return new Y.Map();
    case 2:
      return new Y.Text();
    case 3:
      return new Y.XmlElement("p");
    case 4:
      return new Y.XmlFragment();
    case 5:
      return new Y.XmlHook("hook");
    default:
      return new Y.XmlText();
  }
}

/** A reference: usually an id the document has, sometimes just past one, sometimes nowhere. */
function pickId(c: MutationContext): RawId {
  const base = pick(c, c.known) ?? { client: 1, clock: 0 };
  const roll = c.random();
  if (roll < 0.6) return base;
  if (roll < 0.85) return { client: base.client, clock: base.clock + 1 + int(c, 20) };
  return { client: int(c, 2 ** 31), clock: int(c, 100) };
}

function int(c: MutationContext, n: number): number {
  return Math.floor(c.random() * n);
}

function chance(c: MutationContext, p: number): boolean {
  return c.random() < p;
}

function pick<T>(c: MutationContext, items: readonly T[]): T | undefined {
  return items.length === 0 ? undefined : items[int(c, items.length)];
}

/** Every id a document holds: the first and last clock of each of its structs (and the ranges' starts). */
export function knownIds(doc: Y.Doc, limit = 2_000): RawId[] {
  const ids: RawId[] = [];
  for (const [client, structs] of doc.store.clients) {
    const step = Math.max(1, Math.floor(structs.length / limit));
    for (let i = 0; i < structs.length; i += step) {
      const struct = structs[i]!;
      ids.push({ client, clock: struct.id.clock }, { client, clock: struct.id.clock + struct.length - 1 });
    }
  }
  return ids;
}

export { structLength };
