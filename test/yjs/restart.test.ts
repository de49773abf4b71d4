/**
 * Documents survive a graceful restart, and — with durable acks — a SIGKILL of the server process:
 * every update the server acknowledged is there when it comes back.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { cleanupAll, connect, startServer } from "../helpers/server.js";
import type * as Party from "../../src/runtime/index.js";
import { ACK_PARAM, decodeMessage, encodeUpdate } from "../../src/protocol/index.js";
import { DocumentParty, onConnect } from "../../src/yjs/index.js";
import { destroyProviders, makeProvider, until, whenSynced } from "./support/providers.js";
import { withTimeout } from "./support/fake-client.js";
import { startChildServer } from "./support/child.js";

const children = new Set<ChildProcess>();
const folders = new Set<string>();
const docs: Y.Doc[] = [];

afterEach(async () => {
  destroyProviders();
  for (const doc of docs.splice(0)) doc.destroy();
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await Promise.all([...children].map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once("exit", r)) : undefined)));
  children.clear();
  await cleanupAll();
  await Promise.all([...folders].map((dir) => rm(dir, { recursive: true, force: true })));
  folders.clear();
});

const partykitStyle = {
  onConnect: (conn: Party.Connection, room: Party.Room) => onConnect(conn, room, { persist: { mode: "history", maxUpdates: 50 } }),
};

describe("persistence across restarts", () => {
  it.each(["main", "pk"])("party %s: a graceful restart keeps the document", async (party) => {
    const first = await startServer({ main: DocumentParty, pk: partykitStyle });
    const doc = new Y.Doc();
    docs.push(doc);
    const provider = makeProvider("y-partykit", first.url, party, "kept", doc);
    await whenSynced(provider);
    for (let i = 0; i < 100; i++) doc.getArray<number>("a").push([i]);
    doc.getText("t").insert(0, "still here");
    // Wait until the server has everything (a fresh peer sees it), then restart.
    const check = new Y.Doc();
    docs.push(check);
    const checker = makeProvider("y-websocket", first.url, party, "kept", check);
    await until(check, (d) => d.getArray("a").length === 100 && d.getText("t").length === 10, "server has all");
    destroyProviders();

    const second = await first.restart();
    // DocumentParty flushed on stop: its snapshot-mode log was merged into one entry.
    if (party === "main") expect(await second.server.storage.docs.stats("main/kept")).toMatchObject({ updates: 1 });
    const after = new Y.Doc();
    docs.push(after);
    await whenSynced(makeProvider("y-websocket", second.url, party, "kept", after));
    await until(after, (d) => d.getText("t").toString() === "still here", "restored text");
    expect(after.getArray("a").toArray()).toEqual([...Array(100).keys()]);
    void checker;
  });

  it("SIGKILL: every acknowledged update is stored when the server comes back", async () => {
    const dir = await mkdtemp(join(tmpdir(), "yparty-kill-"));
    folders.add(dir);
    const startChild = () => startChildServer(dir, children);

    const { child, url } = await startChild();
    const client = connect(`${url.replace("http", "ws")}/parties/main/crash?${ACK_PARAM}=1`);
    await client.opened;
    // Each message n pushes the token n; acks say how many messages are stored.
    const writer = new Y.Doc();
    docs.push(writer);
    let acked = 0;
    const enoughAcks = new Promise<void>((resolve) => {
      client.ws.on("message", (data: Buffer, isBinary: boolean) => {
        if (!isBinary) return;
        const message = decodeMessage(new Uint8Array(data));
        if (message.type === "durable-ack") acked = Math.max(acked, message.count);
        if (acked >= 200) resolve();
      });
    });
    writer.on("update", (update: Uint8Array) => client.send(encodeUpdate(update)));
    let sent = 0;
    const pump = (async () => {
      for (sent = 1; sent <= 2_000 && client.ws.readyState === client.ws.OPEN; sent++) {
        writer.getArray<number>("tokens").push([sent]);
        if (sent % 50 === 0) await new Promise((r) => setImmediate(r)); // let acks and the kill interleave
      }
    })();
    await withTimeout(enoughAcks, 20_000, "200 acks");
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    await pump;
    const ackedAtKill = acked;
    expect(ackedAtKill).toBeGreaterThanOrEqual(200);

    const { url: url2 } = await startChild();
    const stored = new Y.Doc();
    docs.push(stored);
    const res = await fetch(`${url2}/parties/main/crash?format=update`);
    expect(res.status).toBe(200);
    Y.applyUpdate(stored, new Uint8Array(await res.arrayBuffer()));
    const tokens = stored.getArray<number>("tokens").toArray();
    // Every acknowledged token is there, in order (later, unacknowledged ones may be too).
    expect(tokens.slice(0, ackedAtKill)).toEqual(Array.from({ length: ackedAtKill }, (_, i) => i + 1));
  }, 60_000);

  it("SIGKILL while an update is applied in slices: none of it is stored, not a part, and sent again it is taken whole", async () => {
    const dir = await mkdtemp(join(tmpdir(), "yparty-kill-slicing-"));
    folders.add(dir);
    // Slices of 4 structs: the 100 000-entry update takes 25 000 turns, and the kill comes after the first ones.
    const startChild = () => startChildServer(dir, children, { structsPerTurn: 4 });
    const post = (url: string, room: string, update: Uint8Array) =>
      fetch(`${url}/parties/main/${room}`, {
        method: "POST",
        body: update as Uint8Array<ArrayBuffer>,
        headers: { "Content-Type": "application/octet-stream" },
      });
    const big = new Y.Doc();
    const small = new Y.Doc();
    docs.push(big, small);
    big.transact(() => {
      for (let i = 0; i < 100_000; i++) big.getMap("m").set(`k${i}`, i);
    });
    small.getText("t").insert(0, "another room");
    const paste = Y.encodeStateAsUpdate(big);

    const { child, url, nextSlicing } = await startChild();
    const slicing = nextSlicing();
    const cut = post(url, "sliced", paste).catch(() => undefined); // killed before its answer
    await withTimeout(slicing, 20_000, "the room to start applying the update in slices");
    // Another room's write is stored (answered) between two slices: before, its commit took the slices so far too.
    expect((await post(url, "other", Y.encodeStateAsUpdate(small))).status).toBe(200);
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    expect(await cut).toBeUndefined();

    const { url: url2 } = await startChild();
    const read = async (room: string) => {
      const doc = new Y.Doc();
      docs.push(doc);
      const res = await fetch(`${url2}/parties/main/${room}?format=update`);
      if (res.status === 200) Y.applyUpdate(doc, new Uint8Array(await res.arrayBuffer()));
      return doc;
    };
    expect((await read("other")).getText("t").toString()).toBe("another room");
    // Before: the slices stored before the kill (a part of the update nobody was sent or acknowledged).
    expect((await read("sliced")).getMap("m").size).toBe(0);
    expect((await post(url2, "sliced", paste)).status).toBe(200);
    expect((await read("sliced")).getMap("m").size).toBe(100_000);
  }, 60_000);
});
