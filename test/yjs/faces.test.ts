/**
 * The faces' own behaviour on a real server: a y-partykit server file with only its import changed,
 * `load()`/`unstable_getYDoc`, a failing load (1013, then a retry that works), YServer's onLoad/onSave.
 */
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { cleanupAll, connect, startServer } from "../helpers/server.js";
import type * as Party from "../../src/runtime/index.js";
import { CloseCode } from "../../src/protocol/index.js";
// A y-partykit server, as its docs write it, with only the import path changed:
import { onConnect, onRequest, unstable_getYDoc, YServer } from "../../src/yjs/index.js";
import { deferred, withTimeout } from "./support/fake-client.js";
import { destroyProviders, makeProvider, until, whenSynced } from "./support/providers.js";

afterEach(async () => {
  destroyProviders();
  await cleanupAll();
});

let loadShouldFail = false;
const loads: string[] = [];

const partykitServer = {
  async onConnect(conn: Party.Connection, room: Party.Room) {
    return onConnect(conn, room, {
      persist: { mode: "snapshot" },
      async load() {
        loads.push(room.id);
        if (loadShouldFail) throw new Error("upstream database is down");
        const doc = new Y.Doc();
        doc.getMap("meta").set("template", "v1");
        return doc;
      },
    });
  },
  async onRequest(_req: Party.Request, room: Party.Room) {
    const doc = await unstable_getYDoc(room, { persist: { mode: "snapshot" } });
    return Response.json({ text: doc.getText("t").toString(), clients: doc.awareness.getStates().size });
  },
} satisfies Party.PartyKitServer;

/** The save-to-your-own-database pattern: onLoad reads the room's bytes from "a database", onSave writes them back. */
const database = new Map<string, Uint8Array>();
const databaseSaved = { wait: deferred() };
class OwnDatabaseDoc extends YServer {
  // Longer than the test: the save that matters is the one when the room unloads.
  static override callbackOptions = { debounceWait: 20_000, debounceMaxWait: 60_000 };
  override async onLoad() {
    const bytes = database.get(this.room.id);
    if (bytes) Y.applyUpdate(this.document, bytes);
  }
  override async onSave() {
    database.set(this.room.id, Y.encodeStateAsUpdate(this.document));
    databaseSaved.wait.resolve();
  }
}

const saves: string[] = [];
const saved = { wait: deferred() };
class SavingDoc extends YServer {
  static override callbackOptions = { debounceWait: 20, debounceMaxWait: 200 };
  override async onLoad() {
    this.document.getText("t").insert(0, "loaded:");
  }
  override async onSave() {
    saves.push(this.document.getText("t").toString());
    saved.wait.resolve();
  }
}

describe("y-partykit function style", () => {
  it("serves a y-partykit server file unchanged but for its import, with load() and unstable_getYDoc", async () => {
    loadShouldFail = false;
    const server = await startServer({ main: partykitServer });
    const doc = new Y.Doc();
    const provider = makeProvider("y-partykit", server.url, "main", "pk-room", doc);
    await whenSynced(provider);
    await until(doc, (d) => d.getMap("meta").get("template") === "v1", "load() state arrives");
    doc.getText("t").insert(0, "typed");
    const seen = new Y.Doc();
    makeProvider("y-websocket", server.url, "main", "pk-room", seen);
    await until(seen, (d) => d.getText("t").toString() === "typed", "server has the edit");
    const res = await fetch(`${server.url}/parties/main/pk-room`);
    expect(await res.json()).toEqual({ text: "typed", clients: 0 });
  });

  it("a document no socket holds (unstable_getYDoc from onRequest) is unloaded after the room's limits.idleUnloadMs", async () => {
    const unloaded = deferred<void>();
    const idleParty = {
      async onRequest(_req: Party.Request, room: Party.Room) {
        const doc = await unstable_getYDoc(room);
        doc.on("destroy", () => unloaded.resolve());
        return Response.json({ text: doc.getText("t").toString() });
      },
    } satisfies Party.PartyKitServer;
    const server = await startServer({ main: idleParty }, { limits: { idleUnloadMs: 50 } });
    expect((await fetch(`${server.url}/parties/main/idle-doc`)).status).toBe(200);
    // The default (30 s) is far past this wait: only the room's own limit unloads it in time.
    await withTimeout(unloaded.promise, 5_000, "the document is unloaded after idleUnloadMs");
  });

  it("a failing load closes the waiting sockets with 1013 and a reason; the next connection retries", async () => {
    const server = await startServer({ main: partykitServer });
    loadShouldFail = true;
    loads.length = 0;
    const first = connect(server.wsUrl("/parties/main/flaky"));
    const second = connect(server.wsUrl("/parties/main/flaky"));
    const [a, b] = await Promise.all([first.closed, second.closed]);
    expect(a).toEqual({ code: CloseCode.TryAgainLater, reason: "room could not load; try again" });
    expect(b.code).toBe(CloseCode.TryAgainLater);
    expect(loads.filter((id) => id === "flaky").length).toBeLessThanOrEqual(2);
    loadShouldFail = false;
    const doc = new Y.Doc();
    await whenSynced(makeProvider("y-websocket", server.url, "main", "flaky", doc));
    await until(doc, (d) => d.getMap("meta").get("template") === "v1", "retried load works");
  });
});

/** docs/yjs.md's form: the socket face adds a change callback and a per-connection flag; the HTTP face gives only `persist`. */
const callbackRuns: string[] = [];
const callbackRan = { wait: deferred() };
const twoFacedServer = {
  onConnect(conn: Party.Connection, room: Party.Room) {
    return onConnect(conn, room, {
      persist: { mode: "snapshot" },
      readOnly: new URL(conn.uri).searchParams.get("role") === "viewer",
      callback: {
        debounceWait: 20,
        handler: (doc) => {
          callbackRuns.push(doc.getText("t").toString());
          callbackRan.wait.resolve();
        },
      },
    });
  },
  async onRequest(req: Party.Request, room: Party.Room) {
    if (new URL(req.url).searchParams.has("text")) {
      const doc = await unstable_getYDoc(room, { persist: { mode: "snapshot" } });
      return Response.json({ text: doc.getText("t").toString() });
    }
    return onRequest(req, room, { persist: { mode: "snapshot" } });
  },
} satisfies Party.PartyKitServer;

function textUpdate(text: string): Uint8Array {
  const doc = new Y.Doc();
  doc.getText("t").insert(0, text);
  return Y.encodeStateAsUpdate(doc);
}

describe("one set of options per room, whichever face loads it", () => {
  it("a room an HTTP POST loaded first still runs the callback its sockets' options give, with no warning", async () => {
    callbackRuns.length = 0;
    callbackRan.wait = deferred();
    const server = await startServer({ main: twoFacedServer });
    const posted = await fetch(`${server.url}/parties/main/faces`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: textUpdate("from http, ") as BodyInit,
    });
    expect(posted.status).toBe(200);
    const doc = new Y.Doc();
    await whenSynced(makeProvider("y-websocket", server.url, "main", "faces", doc));
    doc.getText("t").insert(doc.getText("t").length, "then typed");
    await withTimeout(callbackRan.wait.promise, 5_000, "the change callback");
    expect(callbackRuns.at(-1)).toBe("from http, then typed");
    expect(server.logs.filter((entry) => entry.event === "yjs.options_ignored")).toEqual([]);
  });

  it("unstable_getYDoc with fewer options than the sockets gave reads the same document, with no warning", async () => {
    const server = await startServer({ main: twoFacedServer });
    const doc = new Y.Doc();
    await whenSynced(makeProvider("y-websocket", server.url, "main", "faces-2", doc));
    doc.getText("t").insert(0, "typed first");
    const seen = new Y.Doc();
    await whenSynced(makeProvider("y-websocket", server.url, "main", "faces-2", seen));
    await until(seen, (d) => d.getText("t").toString() === "typed first", "the server has the edit");
    const res = await fetch(`${server.url}/parties/main/faces-2?text`);
    expect(await res.json()).toEqual({ text: "typed first" });
    expect(server.logs.filter((entry) => entry.event === "yjs.options_ignored")).toEqual([]);
  });
});

/** PartyKit's docs' usual form: a Party.Server class calling y-partykit's onConnect. */
class PartykitClassServer implements Party.Server {
  constructor(readonly room: Party.Room) {}
  onConnect(conn: Party.Connection) {
    return onConnect(conn, this.room, { persist: { mode: "snapshot" } });
  }
}

describe("y-partykit in a Party.Server class", () => {
  it("syncs two providers and keeps the document across a restart", async () => {
    const server = await startServer({ main: PartykitClassServer });
    const a = new Y.Doc();
    const b = new Y.Doc();
    await whenSynced(makeProvider("y-partykit", server.url, "main", "cls", a));
    await whenSynced(makeProvider("y-partyserver", server.url, "main", "cls", b));
    a.getText("t").insert(0, "class style");
    await until(b, (d) => d.getText("t").toString() === "class style", "second provider");
    destroyProviders();
    const again = await server.restart();
    const c = new Y.Doc();
    await whenSynced(makeProvider("y-websocket", again.url, "main", "cls", c));
    await until(c, (d) => d.getText("t").toString() === "class style", "after restart");
  });
});

describe("YServer", () => {
  it("runs onLoad before clients sync and onSave debounced after changes", async () => {
    saves.length = 0;
    saved.wait = deferred();
    const server = await startServer({ docs: SavingDoc });
    const doc = new Y.Doc();
    await whenSynced(makeProvider("y-partyserver", server.url, "docs", "s", doc));
    await until(doc, (d) => d.getText("t").toString() === "loaded:", "onLoad state");
    doc.getText("t").insert(7, "a");
    doc.getText("t").insert(8, "b");
    await withTimeout(saved.wait.promise, 5_000, "onSave");
    expect(saves.at(-1)).toBe("loaded:ab");
  });

  it("onSave at unload sees the document the clients wrote, and the next client loads it back from onLoad", async () => {
    database.clear();
    databaseSaved.wait = deferred();
    const server = await startServer({ docs: OwnDatabaseDoc });
    const writer = new Y.Doc();
    const watcher = new Y.Doc();
    await whenSynced(makeProvider("y-partyserver", server.url, "docs", "own-db", writer));
    await whenSynced(makeProvider("y-websocket", server.url, "docs", "own-db", watcher));
    writer.getText("t").insert(0, "kept in my database");
    await until(watcher, (d) => d.getText("t").toString() === "kept in my database", "the server has the edit");
    destroyProviders(); // everyone leaves: the room unloads and saves once
    await withTimeout(databaseSaved.wait.promise, 5_000, "onSave at unload");
    const saved = new Y.Doc();
    Y.applyUpdate(saved, database.get("own-db")!);
    expect(saved.getText("t").toString()).toBe("kept in my database");
    const reader = new Y.Doc();
    await whenSynced(makeProvider("y-websocket", server.url, "docs", "own-db", reader));
    await until(reader, (d) => d.getText("t").toString() === "kept in my database", "the next client loads it");
  });
});
