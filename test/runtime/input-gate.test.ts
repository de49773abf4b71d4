/**
 * Durable Objects' input gate, which PartyKit code relies on: while a handler awaits a storage read, no other
 * event reaches the room, so `get` then `put` in one handler is never interleaved with another handler's.
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { cleanupAll, connect, deferred, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

/** Counts with a read-modify-write in every message and POST, unawaited writes included, as PartyKit apps do. */
class Counter implements Party.Server {
  constructor(readonly room: Party.Room) {}
  async onMessage(_message: string, sender: Party.Connection) {
    const n = ((await this.room.storage.get<number>("n")) ?? 0) + 1;
    void this.room.storage.put("n", n); // not awaited: the next read still sees it
    sender.send(String(n));
  }
  async onRequest(req: Party.Request) {
    if (req.method === "POST") {
      const n = ((await this.room.storage.get<number>("n")) ?? 0) + 1;
      await this.room.storage.put("n", n);
    }
    return new Response(String((await this.room.storage.get<number>("n")) ?? 0));
  }
}

describe("input gate", () => {
  it("loses no increment when three clients and HTTP requests count at once, on LevelDB", async () => {
    const { url, wsUrl } = await startServer({ main: Counter });
    const clients = ["a", "b", "c"].map((id) => connect(wsUrl(`/party/count?_pk=${id}`)));
    await Promise.all(clients.map((c) => c.opened));
    const posts: Array<Promise<Response>> = [];
    for (let i = 0; i < 30; i++) {
      for (const client of clients) client.send("inc");
      if (i % 3 === 0) posts.push(fetch(`${url}/party/count`, { method: "POST" }));
    }
    const answers = await Promise.all(clients.map(async (c) => Promise.all(Array.from({ length: 30 }, () => c.next()))));
    await waitFor(Promise.all(posts), "the POSTs");
    const seen = answers.flat().map(Number);
    expect(new Set(seen).size).toBe(90); // every message saw a count no other message saw
    expect(await (await fetch(`${url}/party/count`)).text()).toBe("100");
  });

  it("lets events in first come, first served: requests are answered while clients keep the room busy", async () => {
    const { url, wsUrl } = await startServer({ main: Counter });
    const clients = ["a", "b", "c", "d"].map((id) => connect(wsUrl(`/party/busy?_pk=${id}`)));
    await Promise.all(clients.map((c) => c.opened));
    let busy = true;
    for (const client of clients) {
      client.ws.on("message", () => busy && client.ws.send("inc")); // always 8 in flight per client
      for (let i = 0; i < 8; i++) client.send("inc");
    }
    for (let i = 0; i < 5; i++) {
      const answer = await waitFor(fetch(`${url}/party/busy`).then((r) => r.text()), `GET ${i + 1} while the room is busy`);
      expect(Number(answer)).toBeGreaterThan(0);
    }
    busy = false;
  });

  it("holds onClose like any other event while the gate is closed", async () => {
    const order: string[] = [];
    const release = deferred();
    const closedB = deferred();
    class Holding implements Party.Server {
      constructor(readonly room: Party.Room) {}
      onConnect(conn: Party.Connection) {
        conn.send("in");
      }
      onMessage() {
        order.push("hold");
        void this.room.blockConcurrencyWhile(async () => {
          await release.promise;
          order.push("released");
        });
      }
      onClose(conn: Party.Connection) {
        order.push(`close ${conn.id}`);
        if (conn.id === "b") closedB.resolve();
      }
    }
    const { wsUrl } = await startServer({ main: Holding }, { storage: "memory" });
    const a = connect(wsUrl("/party/h?_pk=a"));
    const b = connect(wsUrl("/party/h?_pk=b"));
    await Promise.all([a.next(), b.next()]);
    a.send("hold");
    b.ws.close();
    await b.closed;
    release.resolve();
    await waitFor(closedB.promise, "b's onClose");
    expect(order).toEqual(["hold", "released", "close b"]);
  });

  it("holds the gate for a transaction's reads, not its whole closure: the closure may call its own room", async () => {
    class SelfCalling implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async onRequest(req: Party.Request) {
        if (req.headers.get("x-inner")) return new Response("inner");
        const answer = await this.room.storage.transaction(async (txn) => {
          await txn.get("a");
          const inner = await this.room.context.parties.main!.get(this.room.id).fetch({ headers: { "x-inner": "1" } });
          return inner.text();
        });
        return new Response(`outer got ${answer}`);
      }
    }
    const { url } = await startServer({ main: SelfCalling }, { storage: "memory" });
    const response = await waitFor(fetch(`${url}/party/self`), "the outer request");
    expect(await response.text()).toBe("outer got inner");
  });
});

