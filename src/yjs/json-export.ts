/**
 * A Y.Doc as JSON, for the HTTP API: every root type by name.
 *   Text → string · Map → object · Array → array ·
 *   XmlFragment → { type: "#fragment", content: [node…] }, where an element is
 *   { type: nodeName, attrs?: {…}, content?: [node…] } and text is { type: "text", text, marks?: [{ type, attrs? }] }
 *   (ProseMirror's JSON shape, so Tiptap documents read naturally).
 * Binary values become { $binary: base64 }, subdocuments { $doc: guid }.
 *
 * A server that never called `doc.getText(name)` (the usual case) only knows its roots as untyped
 * `AbstractType`s. Their kind is inferred from their content without changing the document: list
 * content of strings/formats/embeds → Text, of XML nodes → XmlFragment, other list content → Array,
 * keys only → Map; a root with nothing visible (never written, or emptied and collected) → null.
 */
import * as Y from "yjs";

// Yjs types its roots with `any` events.
type AnyType = Y.AbstractType<any>;

export type RootKind = "Text" | "Map" | "Array" | "XmlFragment";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function docToJson(doc: Y.Doc): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [name, type] of doc.share) setOwn(out, name, rootToJson(type));
  return out;
}

function rootToJson(type: AnyType): Json {
  if (type.constructor !== Y.AbstractType) return typeToJson(type);
  switch (inferRootKind(type)) {
    case "Text":
      return visibleItems(type)
        .map((item) => (item.content instanceof Y.ContentString ? item.content.str : ""))
        .join("");
    case "XmlFragment":
      return { type: "#fragment", content: visibleValues(type).flatMap(xmlNodeToJson) };
    case "Array":
      return visibleValues(type).map(valueToJson);
    case "Map":
      return mapEntriesToJson(type);
    default:
      return null;
  }
}

/** The kind of an untyped root, or `undefined` when nothing in it tells. */
export function inferRootKind(type: AnyType): RootKind | undefined {
  for (let item = type._start; item !== null; item = item.right) {
    const content = item.content;
    if (content instanceof Y.ContentDeleted) continue;
    if (content instanceof Y.ContentString || content instanceof Y.ContentFormat || content instanceof Y.ContentEmbed) return "Text";
    if (content instanceof Y.ContentType && (content.type instanceof Y.XmlElement || content.type instanceof Y.XmlText)) {
      return "XmlFragment";
    }
    return "Array";
  }
  if (type._start !== null) return undefined; // only collected deletions: an emptied list of unknown kind
  return [...type._map.values()].some((item) => !item.deleted) ? "Map" : undefined;
}

function visibleItems(type: AnyType): Y.Item[] {
  const items: Y.Item[] = [];
  for (let item = type._start; item !== null; item = item.right) if (!item.deleted && item.countable) items.push(item);
  return items;
}

function visibleValues(type: AnyType): unknown[] {
  return visibleItems(type).flatMap((item) => item.content.getContent());
}

function mapEntriesToJson(type: AnyType): { [key: string]: Json } {
  const out: { [key: string]: Json } = {};
  for (const [key, item] of type._map) {
    if (item.deleted) continue;
    const values = item.content.getContent();
    setOwn(out, key, valueToJson(values[values.length - 1]));
  }
  return out;
}

function typeToJson(type: AnyType): Json {
  if (type instanceof Y.XmlText) return { type: "#text-run", content: xmlTextToJson(type) };
  if (type instanceof Y.Text) return type.toString();
  if (type instanceof Y.XmlElement) return elementToJson(type);
  if (type instanceof Y.XmlFragment) return { type: "#fragment", content: type.toArray().flatMap(xmlNodeToJson) };
  if (type instanceof Y.Array) return type.toArray().map(valueToJson);
  if (type instanceof Y.Map) return mapEntriesToJson(type);
  return rootToJson(type);
}

function elementToJson(element: Y.XmlElement): { [key: string]: Json } {
  const node: { [key: string]: Json } = { type: element.nodeName };
  const attrs = element.getAttributes() as Record<string, unknown>;
  if (Object.keys(attrs).length > 0) node.attrs = Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, valueToJson(v)]));
  const children = element.toArray().flatMap(xmlNodeToJson);
  if (children.length > 0) node.content = children;
  return node;
}

/** An XML child: an element is one node; a text run may be several (one per formatting span). */
function xmlNodeToJson(node: unknown): Json[] {
  if (node instanceof Y.XmlText) return xmlTextToJson(node);
  if (node instanceof Y.XmlElement) return [elementToJson(node)];
  return [valueToJson(node)];
}

function xmlTextToJson(text: Y.XmlText): Json[] {
  const delta = text.toDelta() as Array<{ insert: unknown; attributes?: Record<string, unknown> }>;
  return delta.map((op) => {
    if (typeof op.insert !== "string") return valueToJson(op.insert);
    const node: { [key: string]: Json } = { type: "text", text: op.insert };
    if (op.attributes && Object.keys(op.attributes).length > 0) {
      node.marks = Object.entries(op.attributes).map(([type, attrs]) => markToJson(type, attrs));
    }
    return node;
  });
}

function markToJson(type: string, attrs: unknown): Json {
  if (attrs !== null && typeof attrs === "object" && Object.keys(attrs).length > 0) return { type, attrs: valueToJson(attrs) };
  if (attrs === true || attrs === null || typeof attrs === "object") return { type };
  return { type, attrs: { value: valueToJson(attrs) } };
}

function valueToJson(value: unknown): Json {
  if (value instanceof Y.AbstractType) return typeToJson(value);
  if (value instanceof Uint8Array) return { $binary: Buffer.from(value).toString("base64") };
  if (value instanceof Y.Doc) return { $doc: value.guid };
  if (value === undefined) return null;
  // lib0 stores a BigInt in plain values; JSON has none: a number when exact, else as binary is marked.
  if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : { $bigint: value.toString() };
  if (Array.isArray(value)) return value.map(valueToJson);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, valueToJson(v)]));
  }
  return value as Json;
}

/** `out[key] = value` as an own property, also for the key `__proto__` (assigned, it would set the prototype). */
function setOwn(out: { [key: string]: Json }, key: string, value: Json): void {
  if (key === "__proto__") Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}
