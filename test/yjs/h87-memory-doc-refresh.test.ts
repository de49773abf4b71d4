/**
 * helper 87: y-partykit's default (`onConnect(conn, room)`, no `persist`) keeps the document in a module-level map for
 * as long as the room's instance lives, so the last user's page refresh (socket closed, a fresh Y.Doc connects again)
 * finds the document. yparty destroyed a memory-only document the moment its last connection closed: the refresh
 * came back to an empty document. Now it lives on while the room does, and goes with it. y-partykit's own provider
 * against a real yparty server.
 */
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import type * as Party from "../../src/runtime/index.js";
import { onConnect } from "../../src/yjs/index.js";
import { cleanupAll, deferred, startServer, waitFor } from "../helpers/server.js";
import { destroyProviders, makeProvider, until, whenSynced } from "./support/providers.js";

afterEach(() => {
  destroyProviders();
  return cleanupAll();
});

const closed: Array<() => void> = [];
const party = {
  onConnect(conn: Party.Connection, room: Party.Room) {
    const connected = onConnect(conn, room); // y-partykit's default: memory only; adds the document's close listener first
    conn.addEventListener("close", () => closed.shift()?.());
    return connected;
  },
} satisfies Party.PartyKitServer;

/** One user writes "hello" and closes the page; resolves once the server saw the socket close. */
async function writeAndLeave(url: string): Promise<void> {
  const doc = new Y.Doc();
  const provider = makeProvider("y-partykit", url, "main", "room", doc);
  await whenSynced(provider);
  doc.getText("t").insert(0, "hello");
  const reader = new Y.Doc(); // the change reached the server
  const readerProvider = makeProvider("y-partykit", url, "main", "room", reader);
  await until(reader, (d) => d.getText("t").toString() === "hello", "the change at another client");
  const gone = deferred<void>();
  closed.push(() => {}, gone.resolve);
  provider.destroy();
  readerProvider.destroy();
  await waitFor(gone.promise, "both sockets to close at the server");
}

async function refreshed(url: string): Promise<string> {
  const doc = new Y.Doc();
  await whenSynced(makeProvider("y-partykit", url, "main", "room", doc));
  return doc.getText("t").toString();
}

describe("helper 87: a memory-only y-partykit document across the last user's page refresh", () => {
  it("is still there when the last user comes back", async () => {
    const { url } = await startServer({ main: party }, { storage: "memory" });
    await writeAndLeave(url);
    expect(await refreshed(url)).toBe("hello");
  });

  it("goes with the room when it unloads", async () => {
    const { url, logged } = await startServer({ main: party }, { storage: "memory", limits: { idleUnloadMs: 200 } });
    await writeAndLeave(url);
    await logged("room.stopped");
    expect(await refreshed(url)).toBe("");
  });
});
