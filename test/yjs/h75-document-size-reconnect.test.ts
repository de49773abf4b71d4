/**
 * `limits.maxDocumentBytes` judges an update by what it adds (src/yjs/document-size.ts, new-parts.ts). A reconnect's
 * sync step 2 holds the client's whole delete set: judged by its bytes, a document closer to its limit than the size
 * of its delete set refused every reconnect of every client (1009 ERR_DOCUMENT_TOO_LARGE), though nothing grew, and
 * their offline edits with it. A real server, real y-websocket clients; an update that does grow it past is refused.
 */
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { CloseCode, encodeUpdate } from "../../src/protocol/index.js";
import { DocumentParty } from "../../src/yjs/index.js";
import { cleanupAll, connect, startServer, waitFor } from "../helpers/server.js";
import { destroyProviders, makeProvider, until, whenSynced, type AnyProvider } from "./support/providers.js";

afterEach(async () => {
  destroyProviders();
  await cleanupAll();
});

const CLIENT = 4242;
const TEXT = "abcdefghij".repeat(100);
const DELETES = 300;

/** TEXT typed, then every other character of its start deleted, a keystroke (an update) each. */
function edit(doc: Y.Doc): void {
  const text = doc.getText("t");
  text.insert(0, TEXT);
  for (let i = 0; i < DELETES; i++) text.delete(i + 1, 1);
}

/** The document `edit` makes, and its delete set alone (what a reconnect with nothing new sends), in bytes. */
function sizes(): { document: number; deleteSet: number } {
  const doc = new Y.Doc();
  doc.clientID = CLIENT;
  edit(doc);
  return { document: Y.encodeStateAsUpdate(doc).byteLength, deleteSet: Y.encodeStateAsUpdate(doc, Y.encodeStateVector(doc)).byteLength };
}

function closes(provider: AnyProvider): number[] {
  const codes: number[] = [];
  provider.on("connection-close", (event: { code: number } | null) => event && codes.push(event.code));
  return codes;
}

describe("maxDocumentBytes judges an update by what it adds", () => {
  it("a document closer to its limit than its delete set's size: a client reconnects, and its offline edit arrives", async () => {
    const { document, deleteSet } = sizes();
    const max = document + Math.floor(deleteSet / 2);
    const server = await startServer({ main: DocumentParty }, { limits: { maxDocumentBytes: max } });
    const writerDoc = new Y.Doc();
    writerDoc.clientID = CLIENT;
    const writer = makeProvider("y-websocket", server.url, "main", "near-limit", writerDoc);
    await whenSynced(writer);
    edit(writerDoc);
    const reader = new Y.Doc();
    await whenSynced(makeProvider("y-websocket", server.url, "main", "near-limit", reader));
    await until(reader, (doc) => doc.getText("t").length === TEXT.length - DELETES, "the reader to have every edit");

    // The server restarts (the room loads the size its store reports); the tab, still open, edits meanwhile.
    destroyProviders();
    const restarted = await server.restart();
    writerDoc.getText("t").insert(0, "offline ");
    const again = makeProvider("y-websocket", restarted.url, "main", "near-limit", writerDoc);
    const codes = closes(again);
    const later = new Y.Doc();
    await whenSynced(makeProvider("y-websocket", restarted.url, "main", "near-limit", later));
    await until(later, (doc) => doc.getText("t").toString().startsWith("offline "), "the offline edit at a reader");
    expect(codes).not.toContain(CloseCode.MessageTooBig);

    // What does grow the document past its limit is still refused, nothing of it applied.
    const grower = new Y.Doc();
    Y.applyUpdate(grower, Y.encodeStateAsUpdate(later));
    const growth: Uint8Array[] = [];
    grower.on("update", (update: Uint8Array) => growth.push(update));
    grower.getText("t").insert(0, "x".repeat(deleteSet));
    const client = connect(restarted.wsUrl("/parties/main/near-limit"));
    await client.opened;
    client.send(encodeUpdate(growth[0]!));
    const closed = await waitFor(client.closed, "the server to close the grower");
    expect(closed).toMatchObject({ code: CloseCode.MessageTooBig, reason: expect.stringMatching(/^ERR_DOCUMENT_TOO_LARGE/) });
    const fresh = new Y.Doc();
    await whenSynced(makeProvider("y-websocket", restarted.url, "main", "near-limit", fresh));
    expect(fresh.getText("t").toString()).toBe(later.getText("t").toString());
  });
});
