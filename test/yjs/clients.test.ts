/**
 * Real providers (y-partykit, y-partyserver, y-websocket) against a real yparty server, for each face
 * of the Yjs room: DocumentParty (built-in), y-partykit's onConnect, and a YServer subclass.
 */
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { connect, startServer, type TestServer } from "../helpers/server.js";
import type * as Party from "../../src/runtime/index.js";
import { DocumentParty, YServer, onConnect, onRequest, type YPartyKitOptions } from "../../src/yjs/index.js";
import { decodeMessage, encodeUpdate } from "../../src/protocol/index.js";
import { READ_ONLY_REASON } from "../../src/yjs/defaults.js";
import { PROVIDER_KINDS, makeProvider, until, untilAwareness, whenSynced, clientDocs } from "./support/providers.js";
import { withTimeout } from "./support/fake-client.js";

const isReadOnlyUri = (uri: string) => new URL(uri, "http://x").searchParams.get("ro") === "1";

class CustomDoc extends YServer {
  override isReadOnly(connection: Party.Connection): boolean {
    return isReadOnlyUri(connection.uri);
  }
  override onCustomMessage(connection: Party.Connection, message: string): void {
    this.sendCustomMessage(connection, `echo:${message}`);
    this.broadcastCustomMessage(`from ${connection.id}:${message}`, connection);
  }
}

const PK_OPTIONS: YPartyKitOptions = { persist: { mode: "snapshot" } };
const partykitStyle = {
  onConnect(conn: Party.Connection, room: Party.Room) {
    return onConnect(conn, room, { ...PK_OPTIONS, readOnly: isReadOnlyUri(conn.uri) });
  },
  onRequest(req: Party.Request, room: Party.Room) {
    return onRequest(req, room, PK_OPTIONS);
  },
};

const PARTIES = { main: DocumentParty, pk: partykitStyle, custom: CustomDoc };
const FACES = ["main", "pk", "custom"] as const;

let server: TestServer;
const docs = clientDocs();
const newDoc = () => {
  const doc = new Y.Doc();
  docs.push(doc);
  return doc;
};

describe.each(FACES)("party %s", (party) => {
  it.each(PROVIDER_KINDS)("%s: initial sync, live updates both ways, awareness in and out", async (kind) => {
    server = await startServer(PARTIES);
    const room = `room-${kind}`;
    const seed = newDoc();
    const seeder = makeProvider("y-websocket", server.url, party, room, seed);
    await whenSynced(seeder);
    seed.getText("t").insert(0, "seeded");

    const doc = newDoc();
    const provider = makeProvider(kind, server.url, party, room, doc);
    await whenSynced(provider);
    await until(doc, (d) => d.getText("t").toString() === "seeded", "initial sync");

    doc.getText("t").insert(6, " + client");
    await until(seed, (d) => d.getText("t").toString() === "seeded + client", "update reaches the other client");
    seed.getMap("m").set("k", "v");
    await until(doc, (d) => d.getMap("m").get("k") === "v", "update from the other client");

    provider.awareness.setLocalStateField("user", { name: kind });
    await untilAwareness(seeder.awareness, (a) => a.getStates().get(doc.clientID)?.user?.name === kind, "awareness reaches the other client");
    seeder.awareness.setLocalStateField("user", { name: "seeder" });
    await untilAwareness(provider.awareness, (a) => a.getStates().get(seed.clientID)?.user?.name === "seeder", "awareness from the other client");

    provider.destroy(); // its presence disappears for the others
    await untilAwareness(seeder.awareness, (a) => !a.getStates().has(doc.clientID), "awareness removed on close");
  });
});

describe("read-only", () => {
  it.each(PROVIDER_KINDS)("%s: a read-only client syncs but its edits change nothing and reach no one", async (kind) => {
    server = await startServer(PARTIES);
    for (const party of ["custom", "pk"]) {
      const writerDoc = newDoc();
      const writer = makeProvider("y-websocket", server.url, party, "ro-room", writerDoc);
      await whenSynced(writer);
      writerDoc.getText("t").insert(0, "original");

      const readerDoc = newDoc();
      const reader = makeProvider(kind, server.url, party, "ro-room", readerDoc, { ro: "1" });
      await whenSynced(reader);
      await until(readerDoc, (d) => d.getText("t").toString() === "original", "reader syncs");
      readerDoc.getText("t").insert(0, "vandal ");
      // A marker edit from the writer, sent after the vandal edit, proves the server processed both.
      reader.awareness.setLocalStateField("here", true);
      await untilAwareness(writer.awareness, (a) => a.getStates().get(readerDoc.clientID)?.here === true, "reader awareness still relayed");
      writerDoc.getText("t").insert(8, "!");
      await until(readerDoc, (d) => d.getText("t").toString().endsWith("original!"), "writer's edit reaches reader");
      expect(writerDoc.getText("t").toString()).toBe("original!");
      const res = await fetch(`${server.url}/parties/${party}/ro-room`);
      expect(await res.json()).toMatchObject({ t: "original!" });
    }
  });

  it("tells a read-only socket once, with the y-protocols permission-denied message", async () => {
    server = await startServer(PARTIES);
    const client = connect(server.wsUrl("/parties/custom/told?ro=1"));
    await client.opened;
    const change = (text: string) => {
      const doc = new Y.Doc();
      doc.getText("t").insert(0, text);
      return encodeUpdate(Y.encodeStateAsUpdate(doc));
    };
    client.send(change("a"));
    client.send(change("b"));
    const denied = await withTimeout(
      (async () => {
        for (let i = 0; ; i++) {
          const frame = await client.nth(i);
          if (typeof frame !== "string" && decodeMessage(frame).type === "permission-denied") return { frame, i };
        }
      })(),
      5_000,
      "permission denied",
    );
    expect(decodeMessage(denied.frame as Uint8Array)).toEqual({ type: "permission-denied", reason: READ_ONLY_REASON });
    // Ask for awareness to know the server is past both changes, then check nothing else was denied.
    client.send(Uint8Array.of(3));
    for (let i = denied.i + 1; ; i++) if (decodeMessage((await client.nth(i)) as Uint8Array).type === "awareness") break;
    const denials = client.messages.filter((m) => typeof m !== "string" && decodeMessage(m).type === "permission-denied");
    expect(denials).toHaveLength(1);
  });
});

describe("custom messages", () => {
  it("y-partyserver provider: onCustomMessage, sendCustomMessage and broadcastCustomMessage", async () => {
    server = await startServer(PARTIES);
    const a = makeProvider("y-partyserver", server.url, "custom", "chat", newDoc());
    const b = makeProvider("y-partyserver", server.url, "custom", "chat", newDoc());
    await Promise.all([whenSynced(a), whenSynced(b)]);
    const nextCustom = (p: typeof a) =>
      withTimeout(new Promise<string>((resolve) => p.on("custom-message", (m: string) => resolve(m))), 5_000, "custom message");
    const toA = nextCustom(a);
    const toB = nextCustom(b);
    a.sendMessage!("hello");
    expect(await toA).toBe("echo:hello");
    expect(await toB).toMatch(/^from .+:hello$/);
  });
});
