/**
 * A change the server refuses (change-refused: the document would pass its size limit) in the middle of a run of
 * typing: the provider never says saved while the refused change is in the document (nothing typed after it is
 * saved either), and once the user deletes it the next reconnect's step 2 fits and everything is saved.
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Y from "yjs";
import { DocumentParty } from "../../src/yjs/index.js";
import { cleanupAll, startServer } from "../helpers/server.js";
import { converged, destroyProviders, makeProvider, nextEvent, synced } from "./support.js";

afterEach(async () => {
  destroyProviders();
  await cleanupAll();
});

const text = (doc: Y.Doc) => doc.getText("t").toString();

describe("a refused change in the middle of a run", () => {
  it("is never counted saved, and deleting it lets the rest be saved", async () => {
    const { url } = await startServer({ main: DocumentParty }, { limits: { maxDocumentBytes: 20_000 } });
    const a = makeProvider(url, "refused-mid-run", { maxBackoffTime: 100 });
    await synced(a);
    const t = a.doc.getText("t");
    const first = nextEvent(a, "unsynced-changes", (count: number) => count === 0);
    t.insert(0, "hello");
    await first;

    const savedWithPaste: string[] = [];
    a.on("unsynced-changes", (count: number) => {
      if (count === 0 && t.toString().includes("PASTE")) savedWithPaste.push(t.toString().slice(0, 20));
    });
    const refused = nextEvent(a, "change-refused", (_refusal: { error?: string }) => true);
    t.insert(5, " world");
    t.insert(t.length, "PASTE".repeat(10_000));
    t.insert(t.length, "!");
    const [{ error }] = await refused;
    expect(error).toBe("ERR_DOCUMENT_TOO_LARGE");
    // Refused again on each reconnect while the paste is there.
    await nextEvent(a, "change-refused");
    expect(a.unsyncedChanges).toBeGreaterThan(0);

    const saved = nextEvent(a, "unsynced-changes", (count: number) => count === 0);
    t.delete(11, 50_000);
    await saved;
    expect(savedWithPaste).toEqual([]);
    const reader = makeProvider(url, "refused-mid-run");
    await synced(reader);
    await converged([reader.doc], text, "hello world!");
  });
});
