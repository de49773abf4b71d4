/**
 * Yjs v1 updates as editable structs, for structure-aware fuzzing: `decodeStructs` reads a real update with
 * Yjs's own decoder, `encodeStructs` writes structs back byte for byte as Yjs does, but also writes what Yjs
 * never would (an `info` byte that disagrees with the fields, a content under another content's ref, refs to
 * nowhere), so that mutations reach the integrate step instead of stopping at the format check.
 */
import * as encoding from "lib0/encoding";
import * as Y from "yjs";

/** An item's content (Yjs does not export the base class by name). */
export type ItemContent = Y.Item["content"];

export interface RawId {
  client: number;
  clock: number;
}

export type RawStruct =
  | { kind: "gc" | "skip"; length: number }
  | {
      kind: "item";
      origin: RawId | null;
      rightOrigin: RawId | null;
      /** A root type's name, an item's id, or nothing (parent copied from an origin). */
      parent: string | RawId | null;
      parentSub: string | null;
      content: ItemContent;
      /** Written instead of the info byte the fields imply, when set. */
      info?: number;
      /** Written instead of the content's own ref, when set. */
      ref?: number;
    };

export interface RawSection {
  client: number;
  clock: number;
  structs: RawStruct[];
}

export interface RawUpdate {
  sections: RawSection[];
  deletes: Array<{ client: number; ranges: Array<[clock: number, length: number]> }>;
}

/** A real update as sections of structs (one per client, in the order the update holds them). */
export function decodeStructs(update: Uint8Array): RawUpdate {
  const { structs, ds } = Y.decodeUpdate(update);
  const sections: RawSection[] = [];
  for (const struct of structs) {
    let section = sections[sections.length - 1];
    if (section === undefined || section.client !== struct.id.client) {
      section = { client: struct.id.client, clock: struct.id.clock, structs: [] };
      sections.push(section);
    }
    section.structs.push(toRaw(struct));
  }
  const deletes = [...ds.clients].map(([client, items]) => ({
    client,
    ranges: items.map((item): [number, number] => [item.clock, item.len]),
  }));
  return { sections, deletes };
}

function toRaw(struct: Y.Item | Y.GC | Y.Skip): RawStruct {
  if (struct instanceof Y.GC) return { kind: "gc", length: struct.length };
  if (struct instanceof Y.Skip) return { kind: "skip", length: struct.length };
  const parent = struct.parent as unknown;
  return {
    kind: "item",
    origin: struct.origin && { client: struct.origin.client, clock: struct.origin.clock },
    rightOrigin: struct.rightOrigin && { client: struct.rightOrigin.client, clock: struct.rightOrigin.clock },
    parent: typeof parent === "string" ? parent : parent instanceof Y.ID ? { client: parent.client, clock: parent.clock } : null,
    parentSub: struct.parentSub,
    content: struct.content,
  };
}

/** The v1 bytes of `update` (what `Y.encodeStateAsUpdate` would write for the same structs). */
export function encodeStructs(update: RawUpdate): Uint8Array {
  const encoder = new Y.UpdateEncoderV1();
  const rest = encoder.restEncoder;
  encoding.writeVarUint(rest, update.sections.length);
  for (const section of update.sections) {
    encoding.writeVarUint(rest, section.structs.length);
    encoding.writeVarUint(rest, section.client);
    encoding.writeVarUint(rest, section.clock);
    for (const struct of section.structs) writeStruct(encoder, struct);
  }
  encoding.writeVarUint(rest, update.deletes.length);
  for (const { client, ranges } of update.deletes) {
    encoding.writeVarUint(rest, client);
    encoding.writeVarUint(rest, ranges.length);
    for (const [clock, length] of ranges) {
      encoding.writeVarUint(rest, clock);
      encoding.writeVarUint(rest, length);
    }
  }
  return encoder.toUint8Array();
}

function writeStruct(encoder: Y.UpdateEncoderV1, struct: RawStruct): void {
  const rest = encoder.restEncoder;
  if (struct.kind !== "item") {
    encoding.writeUint8(rest, struct.kind === "gc" ? 0 : 10);
    encoding.writeVarUint(rest, struct.length);
    return;
  }
  const ref = struct.ref ?? struct.content.getRef();
  const info = struct.info ?? (ref & 0b11111) | (struct.origin ? 0x80 : 0) | (struct.rightOrigin ? 0x40 : 0) | (struct.parentSub !== null ? 0x20 : 0);
  encoding.writeUint8(rest, info);
  if (info & 0x80) writeId(rest, struct.origin ?? { client: 0, clock: 0 });
  if (info & 0x40) writeId(rest, struct.rightOrigin ?? { client: 0, clock: 0 });
  if ((info & 0xc0) === 0) {
    const parent = struct.parent ?? "";
    if (typeof parent === "string") {
      encoding.writeVarUint(rest, 1);
      encoding.writeVarString(rest, parent);
    } else {
      encoding.writeVarUint(rest, 0);
      writeId(rest, parent);
    }
    if (info & 0x20) encoding.writeVarString(rest, struct.parentSub ?? "");
  }
  struct.content.write(encoder, 0);
}

function writeId(encoder: encoding.Encoder, id: RawId): void {
  encoding.writeVarUint(encoder, id.client);
  encoding.writeVarUint(encoder, id.clock);
}

/** How many clock ticks a struct covers. */
export function structLength(struct: RawStruct): number {
  return struct.kind === "item" ? struct.content.getLength() : struct.length;
}
