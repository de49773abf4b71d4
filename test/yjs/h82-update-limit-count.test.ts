/**
 * `maxUpdateStructs` is judged before an update applied in slices is walked whole (which records every struct for
 * cutting it), and judged once. Before: an update whose first struct lists held just over `structsPerTurn` (so the
 * burst's early count stopped there, under the limit) and whose later lists took it far over the limit was walked
 * whole, every struct recorded (hundreds of MB for a 16 MiB frame), before the limit refused it; and an update over
 * the limit by its raw count (a reconnect's step 2 with a big delete set) had what the room lacks of it counted twice.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import * as encoding from "lib0/encoding";
import * as Y from "yjs";
import { CloseCode, encodeUpdate } from "../../src/protocol/index.js";
import { DocumentParty } from "../../src/yjs/index.js";
import { newParts } from "../../src/yjs/new-parts.js";
import { startMemoryChild, stopMemoryChildren } from "../helpers/memory-child.js";
import { cleanupAll, connect, startServer, waitFor } from "../helpers/server.js";
import { destroyProviders, makeProvider, until, whenSynced } from "./support/providers.js";

vi.mock("../../src/yjs/new-parts.js", async (original) => {
  const actual = await original<typeof import("../../src/yjs/new-parts.js")>();
  return { ...actual, newParts: vi.fn(actual.newParts) };
});

afterEach(async () => {
  destroyProviders();
  await stopMemoryChildren();
  await cleanupAll();
});

const MiB = 1024 * 1024;

/** GCs of length 1 (two bytes each) of `client`, `count` of them, as a struct list of an update. */
function gcList(encoder: encoding.Encoder, client: number, count: number): void {
  encoding.writeVarUint(encoder, count);
  encoding.writeVarUint(encoder, client);
  encoding.writeVarUint(encoder, 0);
  for (let i = 0; i < count; i++) {
    encoding.writeUint8(encoder, 0); // a GC
    encoding.writeVarUint(encoder, 1);
  }
}

describe("maxUpdateStructs before the whole walk", () => {
  it("an update of 7.5 M structs behind a first list of 2 001 is refused (1009) without recording them; other rooms go on", async () => {
    const { base, memory } = await startMemoryChild({});
    const ws = base.replace("http", "ws");
    const writerDoc = new Y.Doc();
    const readerDoc = new Y.Doc();
    await whenSynced(makeProvider("y-websocket", base, "main", "other", writerDoc));
    await whenSynced(makeProvider("y-websocket", base, "main", "other", readerDoc));

    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, 2); // two clients, highest first as Yjs writes them
    gcList(encoder, 2, 2_001); // just over structsPerTurn: the burst's early count stops here, under the limit
    gcList(encoder, 1, 7_500_000); // 7.5 times maxUpdateStructs
    encoding.writeVarUint(encoder, 0); // no deleted ranges
    const frame = encodeUpdate(encoding.toUint8Array(encoder));
    expect(frame.byteLength).toBeLessThan(16 * MiB);

    const client = connect(`${ws}/parties/main/crafted`);
    await client.opened;
    const before = await memory();
    client.send(frame);
    const { code, reason } = await waitFor(client.closed, "the crafted update's sender to be closed", 60_000);
    expect(code).toBe(CloseCode.MessageTooBig);
    expect(reason).toBe("ERR_UPDATE_TOO_LARGE: 7502001 structs and deleted ranges not in the room, over the limit of 1000000 (maxUpdateStructs)");
    const after = await memory();
    // Before: every struct's offset and clock recorded first (+448 MB of peak RSS here; +30 MB after). The frame and its
    // copies are ~15 MB each.
    expect(after.maxRss - before.rss).toBeLessThan(96 * MiB);

    writerDoc.getText("t").insert(0, "still here");
    await until(readerDoc, (doc) => doc.getText("t").toString() === "still here", "an edit in another room");
  }, 120_000);
  it("an update of 2.2 M one-struct clients behind a first list of 2 001 is refused (1009) without a record per client", async () => {
    const { base, memory } = await startMemoryChild({});
    const encoder = encoding.createEncoder();
    const clients = 2_200_000;
    encoding.writeVarUint(encoder, clients + 1);
    gcList(encoder, 2 ** 31, 2_001);
    for (let client = clients; client > 0; client--) gcList(encoder, client, 1);
    encoding.writeVarUint(encoder, 0);
    const frame = encodeUpdate(encoding.toUint8Array(encoder));
    expect(frame.byteLength).toBeLessThan(16 * MiB);

    const client = connect(`${base.replace("http", "ws")}/parties/main/clients`);
    await client.opened;
    const before = await memory();
    client.send(frame);
    const { code, reason } = await waitFor(client.closed, "the crafted update's sender to be closed", 60_000);
    expect(code).toBe(CloseCode.MessageTooBig);
    expect(reason).toMatch(/^ERR_UPDATE_TOO_LARGE: \d{7} structs and deleted ranges not in the room, over the limit of 1000000 \(maxUpdateStructs\)$/);
    const after = await memory();
    // Before: what the room lacks of it was counted by walks that keep a set, a map and two lists of its clients
    // (+785 MB of peak RSS, 6 s here; +83 MB after).
    expect(after.maxRss - before.rss).toBeLessThan(128 * MiB);
  }, 120_000);
});

describe("maxUpdateStructs judged once", () => {
  it("a step 2 over the limit by its raw count (its delete set), applied in slices: what the room lacks is counted once", async () => {
    const server = await startServer({ main: DocumentParty }, { documentLimits: { maxUpdateStructs: 300, structsPerTurn: 50 } });
    const writerDoc = new Y.Doc();
    await whenSynced(makeProvider("y-websocket", server.url, "main", "once", writerDoc));
    const text = writerDoc.getText("t");
    text.insert(0, "abcdefghij".repeat(100));
    for (let i = 0; i < 400; i++) text.delete(i + 1, 1); // 400 deleted ranges, one update each
    const readerDoc = new Y.Doc();
    await whenSynced(makeProvider("y-websocket", server.url, "main", "once", readerDoc));
    await until(readerDoc, (doc) => doc.getText("t").length === 600, "the reader to have every deletion");

    const tab = new Y.Doc();
    Y.applyUpdate(tab, Y.encodeStateAsUpdate(writerDoc));
    tab.getText("t").insert(0, "tab ");
    const whole = Y.encodeStateAsUpdate(tab);
    vi.mocked(newParts).mockClear();
    const client = connect(server.wsUrl("/parties/main/once"));
    await client.opened;
    client.send(encodeUpdate(whole));
    await until(readerDoc, (doc) => doc.getText("t").toString().startsWith("tab "), "the tab's edit at the reader");
    expect(vi.mocked(newParts)).toHaveBeenCalledTimes(1);
    expect(client.ws.readyState).toBe(client.ws.OPEN);
  });
});
