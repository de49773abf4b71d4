import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { AppendTypist } from "../../bench/client/append-updates.js";
import { TEXT_NAME } from "../../bench/limits.js";

describe("AppendTypist", () => {
  it("encodes the very bytes Yjs emits for the same appends", () => {
    const doc = new Y.Doc();
    doc.clientID = 300_000; // a multi-byte varint
    const text = doc.getText(TEXT_NAME);
    const fromYjs: Uint8Array[] = [];
    doc.on("update", (update: Uint8Array) => fromYjs.push(update));
    const typist = new AppendTypist(300_000);
    const ours = ["a", "bc", "~12.345~", "x".repeat(200)].map((chunk) => {
      text.insert(text.length, chunk);
      return typist.next(chunk);
    });
    expect(ours.map((update) => Buffer.from(update).toString("hex"))).toEqual(fromYjs.map((update) => Buffer.from(update).toString("hex")));
  });

  it("produces updates another document applies in order to the typed text", () => {
    const typist = new AppendTypist(7);
    const doc = new Y.Doc();
    for (const chunk of ["hello", " ", "world"]) Y.applyUpdate(doc, typist.next(chunk));
    expect(doc.getText(TEXT_NAME).toString()).toBe("hello world");
  });

  it("appends after a given unit of a document it did not write (the first insert names it)", () => {
    const doc = new Y.Doc();
    doc.clientID = 11;
    doc.getText(TEXT_NAME).insert(0, "start.");
    const typist = new AppendTypist(12, TEXT_NAME, { client: 11, clock: 5 });
    for (const chunk of ["a", "bc"]) Y.applyUpdate(doc, typist.next(chunk));
    expect(doc.getText(TEXT_NAME).toString()).toBe("start.abc");
    expect(doc.store.pendingStructs).toBeNull();
  });
});
