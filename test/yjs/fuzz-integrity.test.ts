/**
 * What a refused update must never do, on a real server with LevelDB: change the document (live, for other
 * clients, on disk), or nest types so deep that a later delete overflows half-way. (Updates too big for one turn of
 * the event loop: sliced-updates.test.ts.)
 * The mutated frames are found by the structure-aware fuzzer (a seeded search), not pasted.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { CloseCode, encodeSyncStep2, encodeUpdate, splitIntoChunks } from "../../src/protocol/index.js";
import { MAX_PENDING_BYTES, MAX_TYPE_DEPTH } from "../../src/yjs/defaults.js";
import { DocumentParty } from "../../src/yjs/index.js";
import { cleanupAll, connect, startServer, type TestServer } from "../helpers/server.js";
import { buildCorpus, halfApplyingMutants } from "./support/fuzz-corpus.js";
import { destroyProviders, makeProvider, until, whenSynced } from "./support/providers.js";
import { startChildServer } from "./support/child.js";
import { nestedMaps } from "./support/nested-maps.js";
import { encodeStructs } from "./support/struct-codec.js";

afterEach(async () => {
  destroyProviders();
  await cleanupAll();
});

const ROOM = "/parties/main/target";

async function post(server: TestServer, update: Uint8Array, room = ROOM): Promise<{ status: number; body: any }> {
  const res = await fetch(server.url + room, {
    method: "POST",
    headers: { "Content-Type": "application/octet-stream" },
    body: update as Uint8Array<ArrayBuffer>,
  });
  return { status: res.status, body: await res.json() };
}

async function state(server: TestServer, room = ROOM): Promise<{ update: Uint8Array; json: unknown }> {
  const update = new Uint8Array(await (await fetch(`${server.url}${room}?format=update`)).arrayBuffer());
  const json = await (await fetch(server.url + room)).json();
  return { update, json };
}

/** Sends `frame` on a new connection and resolves with how the server closed it. */
async function refusal(server: TestServer, frame: Uint8Array, room = ROOM): Promise<{ code: number; reason: string }> {
  const client = connect(server.wsUrl(room));
  await client.opened;
  client.send(frame);
  return client.closed;
}

describe("a refused update never changes the document", () => {
  const corpus = buildCorpus();
  // Two kinds the fuzzer found: a struct whose origin is a later clock of its own client (Yjs reads an item that
  // is not there) and an empty deleted range (Yjs's encoder throws in the transaction's cleanup).
  const mutants = halfApplyingMutants(corpus, ["Cannot read properties of undefined (reading 'id')", "Unexpected case"]);

  it("found mutated step 2 frames that plain Yjs decodes, then applies half-way", () => {
    expect([...mutants.keys()].sort()).toEqual(["Cannot read properties of undefined (reading 'id')", "Unexpected case"]);
  });

  it.each([...mutants.keys()])("a step 2 that makes Yjs throw %j: 1007 and 400, nothing changes, live, for peers or on disk", async (kind) => {
    const mutant = mutants.get(kind)!;
    const server = await startServer({ main: DocumentParty });
    expect((await post(server, corpus.base)).status).toBe(200);
    const peer = new Y.Doc();
    await whenSynced(makeProvider("y-websocket", server.url, "main", "target", peer));
    const before = await state(server);

    const closed = await refusal(server, encodeSyncStep2(mutant));
    expect(closed.code).toBe(CloseCode.InvalidMessage);
    expect(closed.reason).toMatch(/^ERR_INVALID_UPDATE/);
    const posted = await post(server, mutant);
    expect(posted).toMatchObject({ status: 400, body: { error: { code: "ERR_INVALID_UPDATE" } } });

    expect(await state(server)).toEqual(before);
    // The peer got nothing from it: after a marker edit reaches it, it holds exactly the server's state.
    const marker = new Y.Doc();
    Y.applyUpdate(marker, before.update);
    marker.getMap("m").set("marker", 1);
    expect((await post(server, Y.encodeStateAsUpdate(marker, Y.encodeStateVector(peer)))).status).toBe(200);
    await until(peer, (d) => d.getMap("m").get("marker") === 1, "marker reaches the peer");
    expect(Y.encodeStateVector(peer)).toEqual(Y.encodeStateVector(marker));
    destroyProviders();

    const restarted = await server.restart();
    const after = await state(restarted);
    const expected = new Y.Doc();
    Y.applyUpdate(expected, after.update);
    expect(Y.encodeStateVector(expected)).toEqual(Y.encodeStateVector(marker));
    expect(after.json).toEqual({ ...(before.json as object), m: { ...(before.json as { m: object }).m, marker: 1 } });
  });
});

describe("shared types nest at most MAX_TYPE_DEPTH levels", () => {
  it("a chain of 20 000 nested maps is refused at the door: 400 over HTTP, 1007 over a socket", async () => {
    const server = await startServer({ main: DocumentParty });
    const update = Y.encodeStateAsUpdate(nestedMaps(20_000).doc);
    const posted = await post(server, update);
    expect(posted.status).toBe(400);
    expect(posted.body.error).toMatchObject({ code: "ERR_INVALID_UPDATE", message: expect.stringContaining(`deeper than ${MAX_TYPE_DEPTH} levels`) });
    const closed = await refusal(server, encodeSyncStep2(update));
    expect(closed.code).toBe(CloseCode.InvalidMessage);
    expect(closed.reason).toMatch(/^ERR_INVALID_UPDATE: .*deeper than/);
    expect((await fetch(server.url + ROOM)).status).toBe(404); // nothing was stored
  });

  it("one level more, added later under a chain at the limit, is refused; the chain at the limit deletes, exports and restarts", async () => {
    const server = await startServer({ main: DocumentParty });
    const { doc, leaf } = nestedMaps(MAX_TYPE_DEPTH);
    expect((await post(server, Y.encodeStateAsUpdate(doc))).status).toBe(200);
    const json = (await (await fetch(server.url + ROOM)).json()) as { root: Record<string, unknown> };
    let depth = 0;
    for (let node: any = json.root; node.c !== undefined; node = node.c) depth++;
    expect(depth).toBe(MAX_TYPE_DEPTH);

    const synced = Y.encodeStateVector(doc);
    leaf.set("deeper", new Y.Map());
    const closed = await refusal(server, encodeUpdate(Y.encodeStateAsUpdate(doc, synced)));
    expect(closed.reason).toMatch(/deeper than/);

    // A peer deletes the root's chain: every level is deleted, the JSON and a restart agree.
    const peer = new Y.Doc();
    await whenSynced(makeProvider("y-websocket", server.url, "main", "target", peer));
    const probe = new Y.Doc();
    await whenSynced(makeProvider("y-partykit", server.url, "main", "target", probe));
    peer.getMap("root").delete("c");
    await until(probe, (d) => !d.getMap("root").has("c"), "the delete reaches another client");
    // An untyped root with nothing visible exports as null (docs/yjs.md).
    expect(await (await fetch(server.url + ROOM)).json()).toEqual({ root: null });
    destroyProviders();
    const restarted = await server.restart();
    const res = await fetch(restarted.url + ROOM);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ root: null });
  });
});

describe("an item the room has part of is applied only in the place of that part", () => {
  it("a forged item overlapping a map value, placed in a text: 400, and the room's encoding still equals the room", async () => {
    const server = await startServer({ main: DocumentParty });
    const author = new Y.Doc();
    author.clientID = 7;
    author.getText("text").insert(0, "hello");
    const mapper = new Y.Doc();
    mapper.clientID = 8;
    mapper.getMap("m").set("k", 1); // the room has client 8 up to clock 1
    expect((await post(server, Y.encodeStateAsUpdate(author))).status).toBe(200);
    expect((await post(server, Y.encodeStateAsUpdate(mapper))).status).toBe(200);
    // Client 8, clocks 0–1, inserted after "he": the room would keep clock 1 and link it after the map value.
    const forged = encodeStructs({
      sections: [
        {
          client: 8,
          clock: 0,
          structs: [{ kind: "item", origin: { client: 7, clock: 1 }, rightOrigin: null, parent: null, parentSub: null, content: new Y.ContentString("xy") }],
        },
      ],
      deletes: [],
    });
    const posted = await post(server, forged);
    expect(posted).toMatchObject({ status: 400, body: { error: { code: "ERR_INVALID_UPDATE", message: expect.stringContaining("overlaps") } } });
    const live = await state(server);
    const copy = new Y.Doc();
    Y.applyUpdate(copy, live.update);
    expect(copy.getText("text").toString()).toBe("hello");
    expect(copy.getMap("m").toJSON()).toEqual({ k: 1 });
    expect(live.json).toEqual({ text: "hello", m: { k: 1 } });
  });
});

describe("an item's right origin must come after its origin", () => {
  it("a forged insert between 'd' and an 'a' to its left: 400, the text unchanged", async () => {
    const server = await startServer({ main: DocumentParty });
    const first = new Y.Doc();
    first.clientID = 7;
    first.getText("text").insert(0, "ab");
    const second = new Y.Doc();
    second.clientID = 9;
    Y.applyUpdate(second, Y.encodeStateAsUpdate(first));
    second.getText("text").insert(2, "cd");
    expect((await post(server, Y.encodeStateAsUpdate(second))).status).toBe(200);
    // Yjs would place it by whatever follows "d" when it arrives: a reload or another client could order it otherwise.
    const forged = encodeStructs({
      sections: [
        {
          client: 8,
          clock: 0,
          structs: [
            {
              kind: "item",
              origin: { client: 9, clock: 1 },
              rightOrigin: { client: 7, clock: 0 },
              parent: null,
              parentSub: null,
              content: new Y.ContentString("x"),
            },
          ],
        },
      ],
      deletes: [],
    });
    const posted = await post(server, forged);
    expect(posted).toMatchObject({
      status: 400,
      body: { error: { code: "ERR_INVALID_UPDATE", message: expect.stringContaining("right origin is not after its origin") } },
    });
    const closed = await refusal(server, encodeUpdate(forged));
    expect(closed.code).toBe(CloseCode.InvalidMessage);
    expect((await state(server)).json).toEqual({ text: "abcd" });
  });
});

describe("by default, an update is taken only if every order of arrival places its items alike", () => {
  /** One insert of "x" by a fresh `client`, between the neighbours it names (client 7's "abcd", by clock). */
  function insert(client: number, origin: number | null, rightOrigin: number | null): Uint8Array {
    const id = (clock: number | null) => (clock === null ? null : { client: 7, clock });
    return encodeStructs({
      sections: [
        {
          client,
          clock: 0,
          structs: [{ kind: "item", origin: id(origin), rightOrigin: id(rightOrigin), parent: null, parentSub: null, content: new Y.ContentString("x") }],
        },
      ],
      deletes: [],
    });
  }

  it("a forged insert naming neighbours its sender knew were apart is refused (400, 1007); live, a fresh client and a restart agree", async () => {
    const server = await startServer({ main: DocumentParty });
    const author = new Y.Doc();
    author.clientID = 7;
    author.getText("text").insert(0, "abcd");
    expect((await post(server, Y.encodeStateAsUpdate(author))).status).toBe(200);
    // Between "b" and "d": its sender names "d", so it knew "c", which lies between them. Taken, then followed by
    // an insert after "c" as if it ended the text, the room had "abcxxd" and a reload of it "abcxdx".
    const forged = insert(10, 1, 3);
    const posted = await post(server, forged);
    expect(posted).toMatchObject({
      status: 400,
      body: { error: { code: "ERR_INVALID_UPDATE", message: expect.stringContaining("names neighbours its sender knew were apart") } },
    });
    const closed = await refusal(server, encodeUpdate(forged));
    expect(closed.code).toBe(CloseCode.InvalidMessage);
    expect(closed.reason).toMatch(/^ERR_INVALID_UPDATE/);
    // After "c" with "d" unseen (it could have been typed later): a concurrent insert, taken.
    expect((await post(server, insert(11, 2, null))).status).toBe(200);

    const live = await state(server);
    expect(live.json).toEqual({ text: "abcdx" });
    const copy = new Y.Doc();
    Y.applyUpdate(copy, live.update);
    expect(copy.getText("text").toString()).toBe("abcdx");
    const fresh = new Y.Doc();
    await whenSynced(makeProvider("y-websocket", server.url, "main", "target", fresh));
    expect(fresh.getText("text").toString()).toBe("abcdx");
    destroyProviders();
    expect((await state(await server.restart())).json).toEqual(live.json);
  });

  it("inserts made concurrently at one place by real editors still go through, in the same order everywhere", async () => {
    const server = await startServer({ main: DocumentParty });
    const base = new Y.Doc();
    base.getText("text").insert(0, "ab");
    expect((await post(server, Y.encodeStateAsUpdate(base))).status).toBe(200);
    // Three editors offline, typing between "a" and "b" (and one of them twice, in two places), then sending.
    const editors = [1, 2, 3].map((client) => {
      const doc = new Y.Doc();
      doc.clientID = client;
      Y.applyUpdate(doc, Y.encodeStateAsUpdate(base));
      return doc;
    });
    editors[0]!.getText("text").insert(1, "111");
    editors[1]!.getText("text").insert(1, "22");
    editors[2]!.getText("text").insert(1, "3");
    editors[2]!.getText("text").insert(0, "3");
    const merged = new Y.Doc();
    for (const editor of editors) {
      const update = Y.encodeStateAsUpdate(editor, Y.encodeStateVector(base));
      expect((await post(server, update)).status).toBe(200);
      Y.applyUpdate(merged, Y.encodeStateAsUpdate(editor));
    }
    const live = await state(server);
    expect(live.json).toEqual({ text: merged.getText("text").toString() });
    // One client's whole state, merged from all three, into an empty room: Yjs meets the same conflicts at once.
    expect((await post(server, Y.encodeStateAsUpdate(merged), "/parties/main/seeded")).status).toBe(200);
    expect((await state(server, "/parties/main/seeded")).json).toEqual(live.json);
  });
});

describe("a chunked batch is taken only as its markers announce it", () => {
  it("an end marker that disagrees with its start about size or count: 1007 ERR_BAD_BATCH, nothing applied; the honest batch applies", async () => {
    const server = await startServer({ main: DocumentParty });
    const author = new Y.Doc();
    author.getText("text").insert(0, "chunked ".repeat(20));
    const frame = encodeUpdate(Y.encodeStateAsUpdate(author));
    const parts = splitIntoChunks(frame, 64);
    const end = parts[parts.length - 1] as string;
    const lying = [
      end.replace(/"size":(\d+)/, (_, size: string) => `"size":${Number(size) + 1}`),
      end.replace(/"count":(\d+)/, (_, count: string) => `"count":${Number(count) + 1}`),
    ];
    for (const marker of lying) {
      const client = connect(server.wsUrl(ROOM));
      await client.opened;
      for (const part of [...parts.slice(0, -1), marker]) client.send(part);
      const closed = await client.closed;
      expect(closed.code).toBe(CloseCode.InvalidMessage);
      expect(closed.reason).toMatch(/^ERR_BAD_BATCH: .*does not match its start/);
    }
    expect((await fetch(server.url + ROOM)).status).toBe(404); // nothing was applied or stored

    const honest = new Y.Doc();
    const provider = makeProvider("y-websocket", server.url, "main", "target", honest);
    await whenSynced(provider);
    const client = connect(server.wsUrl(ROOM));
    await client.opened;
    for (const part of parts) client.send(part);
    await until(honest, (doc) => doc.getText("text").length > 0, "the honest batch reaches another client");
    expect(honest.getText("text").toString()).toBe(author.getText("text").toString());
    client.close();
  });
});

describe("what waits for changes the room has not seen is capped per document", () => {
  /** An insert of `length` characters by `client`, after a character of client 9 the room never gets. */
  function waiting(client: number, length: number): Uint8Array {
    return encodeStructs({
      sections: [
        {
          client,
          clock: 0,
          structs: [
            {
              kind: "item",
              origin: { client: 9, clock: 0 },
              rightOrigin: null,
              parent: null,
              parentSub: null,
              content: new Y.ContentString("w".repeat(length)),
            },
          ],
        },
      ],
      deletes: [],
    });
  }

  it(`past ${MAX_PENDING_BYTES} bytes waiting: 413 and 1009 ERR_PENDING_TOO_LARGE; the room keeps working and takes what waits once it can`, async () => {
    const server = await startServer({ main: DocumentParty });
    const author = new Y.Doc();
    author.getText("text").insert(0, "text");
    expect((await post(server, Y.encodeStateAsUpdate(author))).status).toBe(200);
    const size = 1_000_000;
    const statuses: number[] = [];
    for (let client = 20; client < 25; client++) statuses.push((await post(server, waiting(client, size))).status);
    expect(statuses).toEqual([202, 202, 202, 202, 413]); // 4 MB wait; a fifth would pass the cap
    const refused = await post(server, waiting(30, size));
    expect(refused.body.error).toMatchObject({ code: "ERR_PENDING_TOO_LARGE", message: expect.stringContaining(`limit ${MAX_PENDING_BYTES}`) });
    const closed = await refusal(server, encodeUpdate(waiting(31, size)));
    expect(closed.code).toBe(CloseCode.MessageTooBig);
    expect(closed.reason).toMatch(/^ERR_PENDING_TOO_LARGE/);

    // Updates that wait for nothing still apply; once what the others wait for arrives, they apply too.
    author.getText("text").insert(4, "!");
    expect((await post(server, Y.encodeStateAsUpdate(author))).status).toBe(200);
    const missing = new Y.Doc();
    missing.clientID = 9;
    Y.applyUpdate(missing, Y.encodeStateAsUpdate(author));
    missing.getText("text").insert(5, "m");
    expect((await post(server, Y.encodeStateAsUpdate(missing, Y.encodeStateVector(author)))).status).toBe(200);
    const { text } = (await (await fetch(server.url + ROOM)).json()) as { text: string };
    expect(text.length).toBe("text!m".length + 4 * size);
  });
});

describe("a forged update waiting under IDs another client then uses", () => {
  const children = new Set<ChildProcess>();
  const folders = new Set<string>();
  afterEach(async () => {
    for (const child of children) child.kill("SIGKILL");
    children.clear();
    await Promise.all([...folders].map((dir) => rm(dir, { recursive: true, force: true })));
    folders.clear();
  });

  /** A server in its own process on `dir` (so that it can be killed before it compacts anything). */
  const startChild = (dir: string) => startChildServer(dir, children);

  it("killed before any compaction, the stored log loads into the document the room had live", async () => {
    const dir = await mkdtemp(join(tmpdir(), "yparty-squat-"));
    folders.add(dir);
    const { child, url } = await startChild(dir);
    const server = { url } as TestServer;
    // Client 7's first four clocks, taken ahead of it by an update that waits for a change that never comes. The
    // room drops the part client 7 then writes and keeps the tail; the log holds the forged update first.
    const squatter = encodeStructs({
      sections: [
        {
          client: 7,
          clock: 0,
          structs: [{ kind: "item", origin: { client: 99, clock: 0 }, rightOrigin: null, parent: null, parentSub: null, content: new Y.ContentString("EVIL") }],
        },
      ],
      deletes: [],
    });
    expect((await post(server, squatter)).status).toBe(202);
    const real = new Y.Doc();
    real.clientID = 7;
    real.getText("text").insert(0, "abc");
    expect((await post(server, Y.encodeStateAsUpdate(real))).status).toBe(200);
    const live = await state(server);
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    const reloaded = await state({ url: (await startChild(dir)).url } as TestServer);
    expect(reloaded.json).toEqual(live.json);
    expect(Y.decodeStateVector(reloaded.update)).toEqual(Y.decodeStateVector(live.update));
  });
});
