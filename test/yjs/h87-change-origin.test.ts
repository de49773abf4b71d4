/**
 * helper 87: in y-partykit (and y-partyserver) a client's change reaches the server's document with the client's
 * connection as its transaction origin, and its presence reaches the Awareness with the connection as origin. Projects
 * attribute edits that way (`doc.on("update", (update, origin) => audit(origin.id, …))`, `conn.state` of the author).
 * yparty passed an internal per-connection object: `origin.id` was undefined. y-partykit's provider against a real
 * yparty server.
 */
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import type * as Party from "../../src/runtime/index.js";
import { onConnect, unstable_getYDoc } from "../../src/yjs/index.js";
import { cleanupAll, deferred, startServer, waitFor } from "../helpers/server.js";
import { destroyProviders, makeProvider, whenSynced } from "./support/providers.js";

afterEach(() => {
  destroyProviders();
  return cleanupAll();
});

const seen = { update: deferred<unknown>(), awareness: deferred<unknown>(), conn: deferred<Party.Connection>() };

const party = {
  async onConnect(conn: Party.Connection, room: Party.Room) {
    await onConnect(conn, room);
    const doc = await unstable_getYDoc(room, {});
    doc.on("update", (_update: Uint8Array, origin: unknown) => seen.update.resolve(origin));
    doc.awareness.on("update", (_change: unknown, origin: unknown) => seen.awareness.resolve(origin));
    seen.conn.resolve(conn);
  },
} satisfies Party.PartyKitServer;

describe("helper 87: the origin of a client's change on the server's document", () => {
  it("is the client's connection, for document updates and presence alike", async () => {
    const { url } = await startServer({ main: party }, { storage: "memory" });
    const doc = new Y.Doc();
    const provider = makeProvider("y-partykit", url, "main", "room", doc);
    await whenSynced(provider);
    const conn = await waitFor(seen.conn.promise, "the connection");
    doc.getText("t").insert(0, "by me");
    provider.awareness.setLocalStateField("user", "me");
    expect(await waitFor(seen.update.promise, "the change at the server")).toBe(conn);
    expect(await waitFor(seen.awareness.promise, "the presence at the server")).toBe(conn);
  });
});
