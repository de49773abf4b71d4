/**
 * `limits.maxDocumentBytes` estimates a document's size from the updates it admitted (src/yjs/document-size.ts). A
 * deleted range in the middle of an item splits it: the encoding grows by two structs (~35 bytes) for a range of ~3
 * bytes in the update. Counted by their bytes alone, updates of many scattered deletions ("replace all", a hostile
 * client) took a document to several times its limit before it was measured once.
 */
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { CloseCode, decodeMessage, encodeUpdate } from "../../src/protocol/index.js";
import { DocumentParty } from "../../src/yjs/index.js";
import { cleanupAll, connect, pollUntil, startServer, waitFor } from "../helpers/server.js";
import { destroyProviders, makeProvider, whenSynced } from "./support/providers.js";

afterEach(async () => {
  destroyProviders();
  await cleanupAll();
});

const MAX = 16 * 1024;

function isAck(frame: Uint8Array, count: number): boolean {
  const message = decodeMessage(frame);
  return message.type === "durable-ack" && message.count >= count;
}

describe("maxDocumentBytes with scattered deletions", () => {
  it("updates each deleting 100 single characters far apart: refused before the document passes its limit", async () => {
    const server = await startServer({ main: DocumentParty }, { limits: { maxDocumentBytes: MAX } });
    const local = new Y.Doc();
    local.clientID = 7;
    const updates: Uint8Array[] = [];
    local.on("update", (update: Uint8Array) => updates.push(update));
    const text = local.getText("t");
    text.insert(0, "x".repeat(8_000));
    // Each later update deletes 100 characters, each between two kept ones: 100 ranges, each splitting an item.
    for (let round = 0; round < 40; round++) {
      local.transact(() => {
        for (let i = 0; i < 100; i++) text.delete(round * 100 + i + 1, 1);
      });
    }
    const client = connect(server.wsUrl("/parties/main/scattered?yparty_ack=1"));
    await client.opened;
    const acked = (count: number) => client.messages.some((frame) => typeof frame !== "string" && isAck(frame, count));
    let refused: { code: number; reason: string } | undefined;
    void client.closed.then((closed) => (refused = closed));
    // One at a time, as an editor sends them: each waits for the ack of the one before.
    for (const [i, update] of updates.entries()) {
      client.send(encodeUpdate(update));
      await pollUntil(`the ack of update ${i + 1} or a refusal`, async () => refused ?? (acked(i + 1) || undefined));
      if (refused) break;
    }
    const closed = await waitFor(client.closed, "the server to refuse an update");
    expect(closed).toMatchObject({ code: CloseCode.MessageTooBig, reason: expect.stringMatching(/^ERR_DOCUMENT_TOO_LARGE/) });
    const reader = new Y.Doc();
    await whenSynced(makeProvider("y-websocket", server.url, "main", "scattered", reader));
    expect(reader.getText("t").length).toBeLessThan(8_000); // some deletions were taken
    // Past it by one update's splits at most (100 ranges).
    expect(Y.encodeStateAsUpdate(reader).byteLength).toBeLessThanOrEqual(MAX + 100 * 32);
  });
});
