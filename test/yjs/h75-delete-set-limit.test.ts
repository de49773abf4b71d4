/**
 * `maxUpdateStructs` counts only what the room lacks (src/yjs/new-parts.ts). Yjs writes the whole delete set into
 * every sync step 2: a client of a document with more deleted ranges than the limit was refused (1009) on every
 * reconnect, locked out for good with its offline edits. A real server with a lowered limit and real y-websocket
 * clients; a hostile update with that many NEW ranges (or one known range sent again and again) is still refused.
 */
import { afterEach, describe, expect, it } from "vitest";
import * as encoding from "lib0/encoding";
import * as Y from "yjs";
import { CloseCode, encodeUpdate } from "../../src/protocol/index.js";
import type * as Party from "../../src/runtime/index.js";
import { DocumentParty, YServer } from "../../src/yjs/index.js";
import { cleanupAll, connect, startServer, waitFor, type TestServer } from "../helpers/server.js";
import { destroyProviders as destroyOwnProviders, makeProvider as makeOwnProvider, nextEvent, synced } from "../provider/support.js";
import { destroyProviders, makeProvider, until, whenSynced, type AnyProvider } from "./support/providers.js";

afterEach(async () => {
  destroyOwnProviders();
  destroyProviders();
  await cleanupAll();
});

const LIMIT = 200;
/** Deleted ranges the writer's document ends up with: more than the limit. */
const DELETES = 300;
const TEXT = "abcdefghij".repeat(100);

/** Close codes a y-websocket provider saw. */
function closes(provider: AnyProvider): number[] {
  const codes: number[] = [];
  provider.on("connection-close", (event: { code: number } | null) => event && codes.push(event.code));
  return codes;
}

/**
 * A server with `maxUpdateStructs` of LIMIT, and a room whose document a y-websocket writer built: TEXT typed, then
 * every other character of its start deleted, one keystroke (one update, one range) at a time.
 */
async function roomWithManyDeletions(
  room: string,
  party: Party.PartyModule = DocumentParty,
): Promise<{ server: TestServer; writer: AnyProvider; writerDoc: Y.Doc; reader: Y.Doc }> {
  const server = await startServer({ main: party }, { documentLimits: { maxUpdateStructs: LIMIT } });
  const writerDoc = new Y.Doc();
  const writer = makeProvider("y-websocket", server.url, "main", room, writerDoc);
  await whenSynced(writer);
  const text = writerDoc.getText("t");
  text.insert(0, TEXT);
  for (let i = 0; i < DELETES; i++) text.delete(i + 1, 1); // keeps the i-th kept character, deletes the one after it
  const reader = new Y.Doc();
  await whenSynced(makeProvider("y-websocket", server.url, "main", room, reader));
  await until(reader, (doc) => doc.getText("t").length === TEXT.length - DELETES, "the reader to have every deletion");
  return { server, writer, writerDoc, reader };
}

describe("maxUpdateStructs counts only what the room lacks", () => {
  it("a client whose delete set is over the limit reconnects, syncs, and its offline and later edits arrive", async () => {
    const { writer, writerDoc, reader } = await roomWithManyDeletions("reconnect");
    expect(Y.snapshot(writerDoc).ds.clients.get(writerDoc.clientID)?.length).toBe(DELETES);
    const codes = closes(writer);
    (writer as unknown as { disconnect(): void }).disconnect();
    writerDoc.getText("t").insert(0, "offline ");
    (writer as unknown as { connect(): void }).connect();
    await whenSynced(writer);
    await until(reader, (doc) => doc.getText("t").toString().startsWith("offline "), "the offline edit at the reader");
    writerDoc.getText("t").insert(0, "after ");
    await until(reader, (doc) => doc.getText("t").toString().startsWith("after offline "), "an edit typed after the reconnect");
    expect(codes).not.toContain(CloseCode.MessageTooBig);
    expect(reader.getText("t").toString()).toBe(writerDoc.getText("t").toString());
  });

  it("yparty's provider: its delete set over the limit, it reconnects, its offline edit is saved, nothing refused", async () => {
    const { server, reader } = await roomWithManyDeletions("own-provider");
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(reader)); // the document from IndexedDB, say
    const provider = makeOwnProvider(server.url, "own-provider", { party: "main" }, doc);
    let refusal: unknown;
    provider.on("change-refused", (refused) => (refusal = refused));
    await synced(provider);
    doc.getText("t").insert(0, "typed ");
    await nextEvent(provider, "unsynced-changes", (count: number) => count === 0);
    provider.disconnect();
    doc.getText("t").insert(0, "offline ");
    const saved = nextEvent(provider, "unsynced-changes", (count: number) => count === 0);
    void provider.connect();
    await saved;
    await until(reader, (d) => d.getText("t").toString().startsWith("offline typed "), "the provider's edits at the reader");
    expect(refusal).toBeUndefined();
  });

  it("a read-only viewer of that document reconnects and keeps receiving edits", async () => {
    class Viewers extends YServer {
      override isReadOnly(connection: Party.Connection): boolean {
        return new URL(connection.uri).searchParams.get("viewer") === "1";
      }
    }
    const { server, writerDoc } = await roomWithManyDeletions("viewer", Viewers);
    const viewerDoc = new Y.Doc();
    const viewer = makeProvider("y-websocket", server.url, "main", "viewer", viewerDoc, { viewer: "1" });
    await whenSynced(viewer);
    const codes = closes(viewer);
    (viewer as unknown as { disconnect(): void }).disconnect();
    (viewer as unknown as { connect(): void }).connect();
    await whenSynced(viewer);
    writerDoc.getText("t").insert(0, "seen ");
    await until(viewerDoc, (doc) => doc.getText("t").toString().startsWith("seen "), "the writer's edit at the viewer");
    expect(codes).not.toContain(CloseCode.MessageTooBig);
  });

  it("a second tab of that document (its whole state as its step 2) syncs too", async () => {
    const { server, writerDoc, reader } = await roomWithManyDeletions("second-tab");
    // A second tab: the same content (IndexedDB), its own connection, its whole state sent as its step 2.
    const tab = new Y.Doc();
    Y.applyUpdate(tab, Y.encodeStateAsUpdate(writerDoc));
    tab.getText("t").insert(0, "tab ");
    await whenSynced(makeProvider("y-websocket", server.url, "main", "second-tab", tab));
    await until(reader, (doc) => doc.getText("t").toString().startsWith("tab "), "the second tab's edit");
  });

  it("a whole state sent again (structs the room has, as a provider resends its own after a lost ack) with one change: taken", async () => {
    const server = await startServer({ main: DocumentParty }, { documentLimits: { maxUpdateStructs: LIMIT } });
    const writerDoc = new Y.Doc();
    await whenSynced(makeProvider("y-websocket", server.url, "main", "resent", writerDoc));
    const map = writerDoc.getMap("m");
    for (let i = 0; i < DELETES; i++) map.set(`key ${i}`, i); // one struct each, over the limit in all
    const reader = new Y.Doc();
    await whenSynced(makeProvider("y-websocket", server.url, "main", "resent", reader));
    await until(reader, (doc) => doc.getMap("m").size === DELETES, "the reader to have every key");
    const resender = new Y.Doc();
    Y.applyUpdate(resender, Y.encodeStateAsUpdate(writerDoc));
    resender.getMap("m").set("new", true);
    const client = connect(server.wsUrl("/parties/main/resent"));
    await client.opened;
    client.send(encodeUpdate(Y.encodeStateAsUpdate(resender)));
    await until(reader, (doc) => doc.getMap("m").get("new") === true, "the one new change at the reader");
    expect(client.ws.readyState).toBe(client.ws.OPEN);
  });

  it("an update with more NEW deleted ranges than the limit is still refused: 1009 ERR_UPDATE_TOO_LARGE, nothing applied", async () => {
    const { server, reader } = await roomWithManyDeletions("hostile");
    const before = reader.getText("t").toString();
    const forged = new Y.Doc();
    Y.applyUpdate(forged, Y.encodeStateAsUpdate(reader));
    const updates: Uint8Array[] = [];
    forged.on("update", (update: Uint8Array) => updates.push(update));
    const text = forged.getText("t");
    forged.transact(() => {
      for (let i = 0; i < LIMIT + 1; i++) text.delete(i + 1, 1);
    });
    const client = connect(server.wsUrl("/parties/main/hostile"));
    await client.opened;
    client.send(encodeUpdate(updates[0]!));
    const closed = await waitFor(client.closed, "the server to close the sender");
    expect(closed.code).toBe(CloseCode.MessageTooBig);
    expect(closed.reason).toMatch(/^ERR_UPDATE_TOO_LARGE: 201 structs and deleted ranges not in the room, over the limit of 200 \(maxUpdateStructs\)$/);
    const fresh = new Y.Doc();
    await whenSynced(makeProvider("y-websocket", server.url, "main", "hostile", fresh));
    expect(fresh.getText("t").toString()).toBe(before);
  });

  it("one known deleted range sent over and over counts every time (as Yjs never writes it)", async () => {
    const { server, writerDoc } = await roomWithManyDeletions("repeated");
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, 0); // no structs
    encoding.writeVarUint(encoder, 1); // one client in the delete set
    encoding.writeVarUint(encoder, writerDoc.clientID);
    encoding.writeVarUint(encoder, LIMIT + 2); // the first counts as known
    for (let i = 0; i < LIMIT + 2; i++) {
      encoding.writeVarUint(encoder, 1); // the first deleted character, again
      encoding.writeVarUint(encoder, 1);
    }
    const client = connect(server.wsUrl("/parties/main/repeated"));
    await client.opened;
    client.send(encodeUpdate(encoding.toUint8Array(encoder)));
    const closed = await waitFor(client.closed, "the server to close the sender");
    expect(closed.code).toBe(CloseCode.MessageTooBig);
    expect(closed.reason).toMatch(/^ERR_UPDATE_TOO_LARGE: 201 structs and deleted ranges not in the room/);
  });
});
