/**
 * A y-partykit batch (a frame over 1 MB, sent in chunks) over `maxBatchBytes` is refused as the other size limits are:
 * close 1009 with a reason that names the limit to raise, which yparty's provider reports as `change-refused`.
 * Before: 1007 `ERR_BAD_BATCH: batch of N bytes is over the M byte limit`, a malformed frame to the provider, with no
 * word of which limit.
 */
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { CloseCode } from "../../src/protocol/index.js";
import type { ChangeRefusal } from "../../provider/index.js";
import { DocumentParty } from "../../src/yjs/index.js";
import { cleanupAll, startServer, waitFor } from "../helpers/server.js";
import { destroyProviders as destroyOwnProviders, makeProvider as makeOwnProvider, synced } from "../provider/support.js";
import { destroyProviders, makeProvider, until, whenSynced } from "./support/providers.js";

afterEach(async () => {
  destroyOwnProviders();
  destroyProviders();
  await cleanupAll();
});

const MiB = 1024 * 1024;
const LIMIT = 2 * MiB;
const REASON = /^ERR_BATCH_TOO_LARGE: a batch of \d+ bytes, over the limit of 2097152 \(maxBatchBytes\)$/;

describe("maxBatchBytes", () => {
  it("yparty's provider: a 3 MB paste over the limit is refused 1009 and reported as change-refused naming maxBatchBytes", async () => {
    const server = await startServer({ main: DocumentParty }, { documentLimits: { maxBatchBytes: LIMIT } });
    const provider = makeOwnProvider(server.url, "own", { party: "main" });
    await synced(provider);
    const refused = new Promise<ChangeRefusal>((resolve) => provider.on("change-refused", resolve));
    provider.doc.getText("t").insert(0, "x".repeat(3 * MiB));
    const refusal = await waitFor(refused, "the provider's change-refused", 20_000);
    expect(refusal.code).toBe(CloseCode.MessageTooBig);
    expect(refusal.error).toBe("ERR_BATCH_TOO_LARGE");
    expect(refusal.reason).toMatch(REASON);
    expect(Buffer.byteLength(refusal.reason)).toBeLessThanOrEqual(120);
  });

  it("y-partykit: a batch over the limit closes 1009 with the same reason; one under it is applied", async () => {
    const server = await startServer({ main: DocumentParty }, { documentLimits: { maxBatchBytes: LIMIT } });
    const doc = new Y.Doc();
    const provider = makeProvider("y-partykit", server.url, "main", "partykit", doc);
    await whenSynced(provider);
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      provider.on("connection-close", (event: { code: number; reason: string } | null) => event && resolve(event)),
    );
    doc.getText("t").insert(0, "y".repeat(3 * MiB));
    const { code, reason } = await waitFor(closed, "y-partykit's socket to be closed", 20_000);
    expect(code).toBe(CloseCode.MessageTooBig);
    expect(reason).toMatch(REASON);

    const under = new Y.Doc();
    const writer = makeProvider("y-partykit", server.url, "main", "under", under);
    await whenSynced(writer);
    under.getText("t").insert(0, "z".repeat(1.5 * MiB));
    const reader = new Y.Doc();
    const readerProvider = makeProvider("y-websocket", server.url, "main", "under", reader);
    await whenSynced(readerProvider);
    await until(reader, (d) => d.getText("t").length === 1.5 * MiB, "the batch under the limit at a reader");
  });
});
