/**
 * The room document's `muteUpdate` / `unmuteUpdate` (the session takes its `update` listener off for a change sent
 * as received, so that Yjs does not encode it): the same listeners hear the same events as with lib0's `off` / `on`.
 */
import { describe, expect, it } from "vitest";
import { SharedDoc } from "../../src/yjs/shared-doc.js";

function typeInto(doc: SharedDoc, text: string): void {
  doc.getText("t").insert(0, text);
}

describe("SharedDoc.muteUpdate", () => {
  it("leaves Yjs no update listener while the muted one was the only one, and puts it back", () => {
    const doc = new SharedDoc("room", true);
    const heard: string[] = [];
    const listener = () => void heard.push("session");
    doc.on("update", listener);
    doc.muteUpdate(listener);
    expect(doc._observers.has("update")).toBe(false); // Yjs encodes no update for no one
    typeInto(doc, "a");
    doc.unmuteUpdate(listener);
    typeInto(doc, "b");
    expect(heard).toEqual(["session"]);
    doc.destroy();
  });

  it("keeps the other listeners hearing, including one added while it was muted", () => {
    const doc = new SharedDoc("room", true);
    const heard: string[] = [];
    const listener = () => void heard.push("session");
    const other = () => void heard.push("other");
    const late = () => void heard.push("late");
    doc.on("update", listener);
    doc.on("update", other);
    doc.muteUpdate(listener);
    typeInto(doc, "a"); // other
    doc.off("update", other);
    doc.on("update", late);
    typeInto(doc, "b"); // late
    doc.unmuteUpdate(listener);
    typeInto(doc, "c"); // late, session
    expect(heard).toEqual(["other", "late", "late", "session"]);
    doc.destroy();
  });
});
