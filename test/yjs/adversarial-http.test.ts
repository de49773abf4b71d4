/**
 * Adversarial tests of the headless HTTP API of Yjs rooms (docs/yjs.md, "The headless HTTP API", "JSON export"):
 * real servers on 127.0.0.1, real fetch and WebSocket clients, real LevelDB.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { connect as connectTcp, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import * as Y from "yjs";
import { afterEach, describe, expect, it } from "vitest";
import { TokenWriter } from "../helpers/token-writer.js";
import { dataFolder, startServer as startCrashServer, storedTokens, useCrashHarness } from "../reliability/support/crash-harness.js";
import { DocumentParty } from "../../src/yjs/index.js";
import { cleanupAll, startServer } from "../helpers/server.js";
import { withTimeout } from "./support/fake-client.js";

useCrashHarness();
afterEach(cleanupAll);

const post = (url: string, update: Uint8Array) =>
  fetch(url, { method: "POST", body: Buffer.from(update), headers: { "content-type": "application/octet-stream" } });

describe("JSON export of hostile names", () => {
  // Found by the adversarial run of helper http-adv. A map key or a root named "__proto__" (any string a user can
  // type: a dictionary of words, a map keyed by user names) is missing from `GET …/{room}` and `yparty export`:
  // `docToJson` and `mapEntriesToJson` (src/yjs/json-export.ts, `out[name] = …` / `out[key] = …` on a plain `{}`)
  // assign through the `__proto__` setter, which drops a string and turns an object into the result's prototype,
  // so JSON.stringify leaves it out. `?format=update` has it; the JSON export silently does not.
  // What it should do (docs/yjs.md, "Y.Map → an object"): `{"__proto__": …}` as an own key, as JSON can carry it
  // (define the property, or build on `Object.create(null)`).
  it("a map key and a root named __proto__ are in the JSON export", async () => {
    const { url } = await startServer({ main: DocumentParty });
    const doc = new Y.Doc();
    doc.getMap("words").set("__proto__", "a word like any other");
    doc.getMap("words").set("constructor", "another");
    doc.getMap("nested").set("__proto__", { keeps: "its content" });
    doc.getText("__proto__").insert(0, "a root named __proto__");
    expect((await post(`${url}/parties/main/names`, Y.encodeStateAsUpdate(doc))).status).toBe(200);
    const text = await (await fetch(`${url}/parties/main/names`)).text();
    expect(JSON.parse(text)).toEqual(
      JSON.parse(
        '{"words":{"__proto__":"a word like any other","constructor":"another"},"nested":{"__proto__":{"keeps":"its content"}},"__proto__":"a root named __proto__"}',
      ),
    );
  });
});

describe("JSON export of values Yjs carries but JSON does not", () => {
  // Found by the adversarial run of helper http-adv. Yjs (lib0's `encodeAny`) stores a BigInt nested in a plain value
  // (`map.set("count", { total: 10n })`: a client's app that keeps 64-bit counters), the room's update check takes it,
  // and it is applied and stored. From then on `GET …/{room}` answers 500 ERR_INTERNAL for everyone (and `yparty
  // export main/r` fails the same way): `valueToJson` (src/yjs/json-export.ts) passes the bigint through and
  // `JSON.stringify` throws "Do not know how to serialize a BigInt".
  // What it should do: a 200 with a JSON rendering of it (docs/yjs.md's table has none for bigint: a number when it
  // is exact, else a string, or `{ "$bigint": "…" }` as binary gets `{ "$binary": … }`); never a 500 for content a
  // client was allowed to write.
  it("a BigInt nested in a map value does not make GET answer 500", async () => {
    const { url } = await startServer({ main: DocumentParty });
    const doc = new Y.Doc();
    doc.getMap("m").set("count", { total: BigInt(10) } as unknown as Record<string, number>);
    doc.getText("t").insert(0, "text beside it");
    expect((await post(`${url}/parties/main/bigint`, Y.encodeStateAsUpdate(doc))).status).toBe(200);
    const res = await fetch(`${url}/parties/main/bigint`);
    const body = await res.text();
    expect({ status: res.status, body }).toMatchObject({ status: 200, body: expect.stringContaining('"t":"text beside it"') });
    // The room itself is fine: its binary state is served.
    expect((await fetch(`${url}/parties/main/bigint?format=update`)).status).toBe(200);
  });
});

/** A POST of one token pushed into the room's `tokens` array, by a fresh client (no dependency on anything). */
function tokenUpdate(token: string): Uint8Array {
  const doc = new Y.Doc();
  doc.getArray<string>("tokens").push([token]);
  return Y.encodeStateAsUpdate(doc);
}

describe("POSTs racing sockets and unloads, then kill -9", () => {
  // Holds up. Rooms unload 20 ms after they go idle (crash-server.ts), so POSTs to a room nobody is connected to race
  // its unload (flush, compaction) and the next load; in the other rooms a socket writes with durable acks at the
  // same time. After a SIGKILL mid-stream, every token a POST was answered 200 for, and every token acknowledged to
  // the socket, is there.
  it("every token answered 200 or acknowledged is there after a kill -9", async () => {
    const dir = await dataFolder();
    const first = await startCrashServer(dir);
    const rooms = [
      { party: "main", room: "posted-only" },
      { party: "main", room: "posted-and-typed" },
      { party: "history", room: "posted-and-typed" },
    ];
    const writers = rooms.slice(1).map(({ party, room }) => new TokenWriter(first.base, party, room));
    await Promise.all(writers.map((writer) => writer.opened));
    const answered = new Map<string, string[]>(rooms.map(({ party, room }) => [`${party}/${room}`, []]));
    let posts = 0;
    let stop = false;
    let reachedTarget!: () => void;
    const target = new Promise<void>((resolve) => (reachedTarget = resolve));
    const postLoop = async (party: string, room: string, lane: number) => {
      for (let i = 0; !stop; i++) {
        const token = `${party}-${room}-post-${lane}-${i}`;
        const res = await post(`http://${first.base}/parties/${party}/${room}`, tokenUpdate(token)).catch(() => undefined);
        if (!res) return; // the server is gone
        await res.body?.cancel();
        if (res.status === 200) answered.get(`${party}/${room}`)!.push(token);
        else if (!stop) throw new Error(`POST answered ${res.status}`);
        if (++posts === 150) reachedTarget();
      }
    };
    const loops = rooms.flatMap(({ party, room }) => [0, 1].map((lane) => postLoop(party, room, lane)));
    let typed = 0;
    const typing = setInterval(() => writers.forEach((writer) => writer.open && writer.write(`typed-${typed++}`)), 5);
    await withTimeout(target, 30_000, "150 POSTs answered");
    stop = true;
    first.child.kill("SIGKILL");
    clearInterval(typing);
    await Promise.allSettled(loops);
    await Promise.all(writers.map((writer) => writer.closed));

    const second = await startCrashServer(dir);
    const missing: Record<string, string[]> = {};
    for (const { party, room } of rooms) {
      const stored = await storedTokens(second.base, { party, room });
      const writer = writers.find((_, i) => rooms[i + 1]!.party === party && rooms[i + 1]!.room === room);
      const expected = [...answered.get(`${party}/${room}`)!, ...(writer?.acknowledged ?? [])];
      const lost = expected.filter((token) => !stored.has(token));
      if (lost.length > 0) missing[`${party}/${room}`] = lost;
    }
    expect(missing).toEqual({});
    expect(posts).toBeGreaterThanOrEqual(150);
  });
});

const MiB = 1024 * 1024;

describe("stalled uploads (slowloris bodies)", () => {
  let child: ChildProcess | undefined;
  let dir: string | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    child?.kill("SIGKILL");
    child = undefined;
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  // Found by the adversarial run of helper http-adv. docs/reliability.md ("Memory ceilings"): "Every resource a client
  // can make the server hold has a server-wide cap". A POST body is read into memory up to `maxHttpUpdateBytes`
  // (16 MiB by default) before anything else is decided (`readBodyAtMost` / `readAtMost`, src/runtime/http-bridge.ts),
  // and a client that sends all but the last byte and then waits keeps it held until Node's own `requestTimeout`
  // (300 s; yparty sets none). Nothing counts these bytes across requests: 16 such uploads of 4 MiB held 64 MiB here
  // (32 of 4 MiB: 128 MiB; with the default 16 MiB limit, 100 connections would hold 1.6 GB), whatever
  // `maxBufferedBytes` says. What it should do: a server-wide budget for request bodies being read (past it, new
  // bodies wait unread, TCP pushing back, or are refused 503), and a body that stops arriving cut after a timeout.
  // Now: `limits.maxBodyBytesInFlight` (16 MiB in this test; the bound asserted is twice that), past which a body is
  // cut and its request answered 503 to retry, and `bodyIdleTimeoutMs` (408).
  it("bodies that stop just before their end do not hold memory past a server-wide budget", async () => {
    dir = await mkdtemp(join(tmpdir(), "yparty-adv-slow-"));
    const proc = spawn(
      process.execPath,
      [
        "--expose-gc",
        "--import",
        "tsx",
        "test/yjs/support/memory-server.ts",
        dir,
        JSON.stringify({ maxBodyBytesInFlight: 16 * MiB }),
        JSON.stringify({ maxHttpUpdateBytes: 4 * MiB }),
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    child = proc;
    const line = await withTimeout(
      new Promise<string>((resolve) => createInterface({ input: proc.stdout! }).once("line", resolve)),
      20_000,
      "the server to listen",
    );
    const port = (JSON.parse(line) as { port: number }).port;
    const memory = async (gc = true) =>
      ((await (await fetch(`http://127.0.0.1:${port}/__memory${gc ? "" : "?nogc"}`)).json()) as { arrayBuffers: number }).arrayBuffers;
    const before = await memory();
    const uploads = 16;
    const size = 4 * MiB;
    await Promise.all(
      Array.from(
        { length: uploads },
        (_, i) =>
          new Promise<void>((resolve, reject) => {
            const socket = connectTcp(port, "127.0.0.1", () => {
              socket.write(
                `POST /parties/main/stalled-${i} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: ${size}\r\n\r\n`,
              );
              socket.write(Buffer.alloc(size - 1, 7), () => resolve()); // all but the last byte, then nothing
            });
            socket.once("error", reject);
            sockets.push(socket);
          }),
      ),
    );
    // Wait (bounded) until the server has read what it is going to read: its held bytes stop at the budget, or pass it.
    const bound = 2 * 16 * MiB;
    const deadline = Date.now() + 10_000;
    while ((await memory(false)) - before <= bound && Date.now() < deadline) await new Promise<void>((resolve) => setImmediate(resolve));
    const held = (await memory()) - before;
    expect(Math.round(held / MiB)).toBeLessThanOrEqual(bound / MiB);
    // Other rooms are still served.
    expect((await fetch(`http://127.0.0.1:${port}/parties/main/elsewhere`)).status).toBe(404);
  }, 40_000);
});
