/**
 * helper 87: y-partykit's `unstable_getYDoc` returns its `WSSharedDoc`, whose `conns` maps each connection of the room
 * to the awareness client ids it controls. Projects read it to count who is in a document or to reach them
 * (`doc.conns.size`, `for (const conn of doc.conns.keys()) conn.send(…)`). yparty's document had no `conns`: such a
 * server file threw a TypeError once ported. Checked with y-partykit's own provider against a real yparty server.
 */
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import type * as Party from "../../src/runtime/index.js";
import { onConnect, unstable_getYDoc } from "../../src/yjs/index.js";
import { cleanupAll, deferred, startServer, waitFor } from "../helpers/server.js";
import { destroyProviders, makeProvider, untilAwareness, whenSynced } from "./support/providers.js";

afterEach(() => {
  destroyProviders();
  return cleanupAll();
});

const options = { persist: { mode: "snapshot" as const } };

const closed: Array<(id: string) => void> = [];

const party = {
  onConnect(conn: Party.Connection, room: Party.Room) {
    const connected = onConnect(conn, room, options); // adds the document's close listener first
    conn.addEventListener("close", () => closed.shift()?.(conn.id));
    return connected;
  },
  async onRequest(_req: Party.Request, room: Party.Room) {
    const doc = await unstable_getYDoc(room, options);
    const conns = [...doc.conns].map(([conn, ids]) => ({ id: conn.id, ids: [...ids] }));
    return Response.json(conns.sort((a, b) => a.id.localeCompare(b.id)));
  },
} satisfies Party.PartyKitServer;

describe("helper 87: unstable_getYDoc(room).conns, as y-partykit's WSSharedDoc has it", () => {
  it("lists each connection with the awareness ids it controls, and forgets one that left", async () => {
    const { url } = await startServer({ main: party }, { storage: "memory" });
    const [a, b] = [new Y.Doc(), new Y.Doc()];
    const pa = makeProvider("y-partykit", url, "main", "room", a);
    const pb = makeProvider("y-partykit", url, "main", "room", b);
    await Promise.all([whenSynced(pa), whenSynced(pb)]);
    pa.awareness.setLocalStateField("user", "a");
    pb.awareness.setLocalStateField("user", "b");
    await untilAwareness(pa.awareness, (aw) => aw.getStates().get(b.clientID)?.user === "b", "b's presence at a");
    await untilAwareness(pb.awareness, (aw) => aw.getStates().get(a.clientID)?.user === "a", "a's presence at b");
    const ids = (pa as unknown as { id: string }).id;
    const idb = (pb as unknown as { id: string }).id;
    const listed = await (await fetch(`${url}/parties/main/room`)).json();
    expect(listed).toEqual(
      [
        { id: ids, ids: [a.clientID] },
        { id: idb, ids: [b.clientID] },
      ].sort((x, y) => x.id.localeCompare(y.id)),
    );
    const left = deferred<string>();
    closed.push(left.resolve);
    pb.destroy();
    expect(await waitFor(left.promise, "b's connection to close at the server")).toBe(idb);
    expect(await (await fetch(`${url}/parties/main/room`)).json()).toEqual([{ id: ids, ids: [a.clientID] }]);
  });
});
