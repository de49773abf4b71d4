import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { docToJson, inferRootKind } from "../../src/yjs/json-export.js";

/** The server's view: a fresh doc that only ever saw the update, so its roots are untyped. */
function serverCopy(doc: Y.Doc, gc = true): Y.Doc {
  const copy = new Y.Doc({ gc });
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
  return copy;
}

function richDoc(): Y.Doc {
  const doc = new Y.Doc();
  doc.getText("title").insert(0, "Hello ");
  doc.getText("title").insert(6, "world", { bold: true });
  const map = doc.getMap("meta");
  map.set("count", 3);
  map.set("tags", ["a", "b"]);
  map.set("bytes", Uint8Array.of(1, 2, 3));
  const nestedText = new Y.Text("nested");
  map.set("note", nestedText);
  const list = doc.getArray("items");
  const entry = new Y.Map();
  list.push([1, "two", entry]);
  entry.set("done", false);
  const fragment = doc.getXmlFragment("prosemirror");
  const paragraph = new Y.XmlElement("paragraph");
  const heading = new Y.XmlElement("heading");
  fragment.insert(0, [heading, paragraph]);
  heading.setAttribute("level", 2 as unknown as string);
  heading.insert(0, [new Y.XmlText("Title")]);
  const text = new Y.XmlText();
  paragraph.insert(0, [text]);
  text.insert(0, "plain ");
  text.insert(6, "link", { link: { href: "https://example.com" } });
  text.insert(10, " bold", { bold: {} });
  return doc;
}

const expected = {
  title: "Hello world",
  meta: { count: 3, tags: ["a", "b"], bytes: { $binary: "AQID" }, note: "nested" },
  items: [1, "two", { done: false }],
  prosemirror: {
    type: "#fragment",
    content: [
      { type: "heading", attrs: { level: 2 }, content: [{ type: "text", text: "Title" }] },
      {
        type: "paragraph",
        content: [
          { type: "text", text: "plain " },
          { type: "text", text: "link", marks: [{ type: "link", attrs: { href: "https://example.com" } }] },
          { type: "text", text: " bold", marks: [{ type: "bold" }] },
        ],
      },
    ],
  },
};

describe("docToJson", () => {
  it("exports every root type of a typed document", () => {
    expect(docToJson(richDoc())).toEqual(expected);
  });

  it("exports the same from a server copy whose roots are untyped, without typing them", () => {
    const copy = serverCopy(richDoc());
    expect([...copy.share.values()].every((t) => t.constructor === Y.AbstractType)).toBe(true);
    expect(docToJson(copy)).toEqual(expected);
    expect([...copy.share.values()].every((t) => t.constructor === Y.AbstractType)).toBe(true);
    expect(() => copy.getText("title")).not.toThrow(); // still free to be typed later
  });

  it("infers root kinds, and gives null for a root whose content was deleted and collected", () => {
    const doc = new Y.Doc();
    doc.getText("t").insert(0, "x");
    doc.getArray("a").push([{ k: 1 }]);
    doc.getMap("m").set("k", "v");
    doc.getXmlFragment("x").insert(0, [new Y.XmlText("hi")]);
    doc.getText("gone").insert(0, "bye");
    doc.getText("gone").delete(0, 3);
    const copy = serverCopy(doc);
    const kinds = Object.fromEntries([...copy.share].map(([name, type]) => [name, inferRootKind(type as never)]));
    expect(kinds).toEqual({ t: "Text", a: "Array", m: "Map", x: "XmlFragment", gone: undefined });
    expect(docToJson(copy).gone).toBeNull();
    // Without gc the deleted text is still there to tell its kind: an empty string.
    const kept = new Y.Doc({ gc: false });
    kept.getText("gone").insert(0, "bye");
    kept.getText("gone").delete(0, 3);
    expect(docToJson(serverCopy(kept, false)).gone).toBe("");
  });
});

describe("docToJson with Tiptap", () => {
  it("exports a Tiptap (y-prosemirror) document as its ProseMirror JSON content", async () => {
    const { getSchema } = await import("@tiptap/core");
    const { default: StarterKit } = await import("@tiptap/starter-kit");
    const { prosemirrorJSONToYDoc } = await import("@tiptap/y-tiptap");
    const schema = getSchema([StarterKit]);
    const json = {
      type: "doc",
      content: [
        { type: "heading", attrs: { level: 1 }, content: [{ type: "text", text: "Title" }] },
        {
          type: "paragraph",
          content: [
            { type: "text", text: "Hello " },
            { type: "text", text: "bold", marks: [{ type: "bold" }] },
            { type: "text", text: " link", marks: [{ type: "link", attrs: { href: "https://example.com" } }] },
          ],
        },
        { type: "bulletList", content: [{ type: "listItem", content: [{ type: "paragraph", content: [{ type: "text", text: "item" }] }] }] },
      ],
    };
    const exported = docToJson(serverCopy(prosemirrorJSONToYDoc(schema, json, "default")));
    const canonical = schema.nodeFromJSON(json).toJSON() as { content: unknown[] };
    expect(exported).toEqual({ default: { type: "#fragment", content: canonical.content } });
  });
});
