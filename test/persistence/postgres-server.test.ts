/**
 * A yparty server storing in PostgreSQL (`createServer({ store: "postgres://…" })`): clients' updates are acknowledged
 * once committed, and the documents and room storage are there after a restart.
 */
import { afterAll, afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { ACK_PARAM, decodeMessage, encodeUpdate } from "../../src/protocol/index.js";
import type * as Party from "../../src/runtime/index.js";
import { createLogger, createServer, type LogEntry, type PartyModule, type YpartyServer } from "../../src/runtime/index.js";
import { DocumentParty } from "../../src/yjs/index.js";
import { stopAllEngines } from "../helpers/engines.js";
import { cleanupAll, connect, deferred, waitFor } from "../helpers/server.js";
import { destroyProviders, makeProvider, until, whenSynced } from "../yjs/support/providers.js";
import { withTimeout } from "./helpers.js";
import { freshDatabase, query } from "./postgres-helpers.js";

afterAll(stopAllEngines);
const servers: YpartyServer[] = [];
afterEach(async () => {
  destroyProviders();
  await cleanupAll();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(store: string, logs: LogEntry[] = [], main: PartyModule = DocumentParty): Promise<YpartyServer> {
  const logger = createLogger({ level: "debug", write: () => {} });
  logger.subscribe((entry) => logs.push(entry));
  const server = createServer({ parties: { main }, port: 0, host: "127.0.0.1", store, logger });
  servers.push(server);
  await server.listen();
  return server;
}

describe("a server on PostgreSQL", () => {
  it("acknowledges a client's updates once committed, and serves the document to a y-websocket client after a restart", async () => {
    const { url } = await freshDatabase();
    const first = await serve(url);
    expect(first.storage.location).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/yparty/);
    const client = connect(`${first.url.replace("http", "ws")}/parties/main/notes?${ACK_PARAM}=1`);
    await client.opened;
    const writer = new Y.Doc();
    let acked = 0;
    const allAcked = new Promise<void>((resolve) =>
      client.ws.on("message", (data: Buffer, isBinary: boolean) => {
        const message = isBinary ? decodeMessage(new Uint8Array(data)) : undefined;
        if (message?.type === "durable-ack") acked = Math.max(acked, message.count);
        if (acked === 100) resolve();
      }),
    );
    writer.on("update", (update: Uint8Array) => client.send(encodeUpdate(update)));
    for (let i = 1; i <= 100; i++) writer.getArray<number>("tokens").push([i]);
    await withTimeout(allAcked, 10_000, "100 durable acks");
    // Acknowledged means committed: the rows are in PostgreSQL, whatever happens to the server now.
    const [row] = await query(url, "SELECT count(*) AS entries FROM doc_updates WHERE doc = 'main/notes'");
    expect(Number(row!.entries)).toBeGreaterThan(0);
    await first.close();

    const second = await serve(url);
    const reader = new Y.Doc();
    await whenSynced(makeProvider("y-websocket", second.url, "main", "notes", reader));
    await until(reader, (doc) => doc.getArray("tokens").length === 100, "the 100 tokens after the restart");
    expect(reader.getArray<number>("tokens").toArray()).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    // The first server claimed the room at its first write; reading it claims nothing.
    expect((await query(url, "SELECT fence, owner FROM rooms WHERE name = 'main/notes'"))[0]).toEqual({ fence: "1", owner: expect.stringMatching(/:\d+$/) });
  });

  it("keeps a PartyKit-style party's room.storage and alarm: the alarm set before a restart fires after it", async () => {
    const { url } = await freshDatabase();
    const fired = { current: deferred<string>() };
    const Counter = class implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async onRequest(req: Party.Request) {
        if (req.method === "POST") {
          await this.room.storage.put("note", { text: "kept", at: new Date(0) });
          await this.room.storage.setAlarm(Date.now() + 3_000); // after the restart, even on a slow machine
        }
        return Response.json({ note: await this.room.storage.get("note"), runs: (await this.room.storage.get<number>("runs")) ?? 0 });
      }
      async onAlarm() {
        await this.room.storage.put("runs", ((await this.room.storage.get<number>("runs")) ?? 0) + 1);
        fired.current.resolve(this.room.id);
      }
    };
    const first = await serve(url, [], Counter);
    await fetch(`${first.url}/party/counter`, { method: "POST" });
    await first.close();
    const logs: LogEntry[] = [];
    const second = await serve(url, logs, Counter);
    expect(logs.find((entry) => entry.event === "server.listening")?.alarms).toBe(1);
    expect(await waitFor(fired.current.promise, "onAlarm after the restart", 10_000)).toBe("counter");
    expect(await (await fetch(`${second.url}/party/counter`)).json()).toEqual({ note: { text: "kept", at: new Date(0).toISOString() }, runs: 1 });
  });

  it("refuses a second standalone server on the same database, saying to start both with --cluster", async () => {
    const { url } = await freshDatabase();
    await serve(url);
    const second = createServer({ parties: { main: DocumentParty }, port: 0, host: "127.0.0.1", store: url, logger: createLogger({ write: () => {} }) });
    const error = (await second.listen().catch((e: unknown) => e)) as Error & { code?: string };
    expect(error.code).toBe("ERR_STORAGE_LOCKED");
    expect(error.message).toContain("in use by another yparty process (start both with --cluster)");
  });

  it("a read-modify-write of room storage by handlers already running (each awaited its request body first) loses no increment", async () => {
    // The PartyKit-style counter of the cluster fixture: the input gate holds new events while a read is in flight,
    // not handlers that resumed from other I/O; PostgreSQL's reads are slow enough for two of those to read before
    // either wrote (3–8 of ~800 concurrent POSTs were lost, every one answered 200).
    const counter = class implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async onRequest(request: Request): Promise<Response> {
        const storage = this.room.storage;
        if (request.method === "POST") {
          const tick = await request.text();
          await storage.put(`tick:${tick}`, ((await storage.get<number>(`tick:${tick}`)) ?? 0) + 1);
          await storage.put("count", ((await storage.get<number>("count")) ?? 0) + 1);
        }
        return Response.json({ count: (await this.room.storage.get<number>("count")) ?? 0 });
      }
    };
    const { url } = await freshDatabase();
    const server = await serve(url, [], counter);
    // Six clients posting one after another each, as the adversarial run did
    let sent = 0;
    const statuses: number[] = [];
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        while (sent < 600) {
          const response = await fetch(`${server.url}/parties/main/counted`, { method: "POST", body: String(++sent) });
          statuses.push(response.status);
          await response.text();
        }
      }),
    );
    expect(statuses.every((status) => status === 200)).toBe(true);
    expect(await (await fetch(`${server.url}/parties/main/counted`)).json()).toEqual({ count: statuses.length });
  });
});
