/**
 * Durable Objects' input gate, which PartyKit code relies on: while a handler awaits a storage read, no other
 * event reaches the room, so `get` then `put` in one handler is never interleaved with another handler's.
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { InputGate } from "../../src/runtime/input-gate.js";
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
      const answer = await waitFor(
        fetch(`${url}/party/busy`).then((r) => r.text()),
        `GET ${i + 1} while the room is busy`,
      );
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

  it("lets events that waited for the start in one at a time: five POSTs to a starting room count 1 to 5", async () => {
    const allArrived = deferred();
    let arrived = 0;
    class SlowStart extends Counter {
      static onBeforeRequest(req: Party.Request) {
        if (++arrived === 5) allArrived.resolve();
        return req;
      }
      async onStart() {
        await allArrived.promise; // loading something, until every POST is waiting for the start
      }
    }
    const { url } = await startServer({ main: SlowStart }, { storage: "memory" });
    const answers = await Promise.all(Array.from({ length: 5 }, () => fetch(`${url}/party/cold`, { method: "POST" }).then((r) => r.text())));
    expect(answers.sort()).toEqual(["1", "2", "3", "4", "5"]);
  });

  it("runs blockConcurrencyWhile callbacks one at a time, also for code that resumed after another await", async () => {
    const order: string[] = [];
    const resumeX = deferred();
    const releaseA = deferred();
    const xRan = deferred();
    class Critical implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async onMessage() {
        await resumeX.promise; // e.g. a fetch elsewhere: the gate is open meanwhile
        await this.room.blockConcurrencyWhile(async () => void order.push("x"));
        xRan.resolve();
      }
      async onRequest() {
        void this.room.blockConcurrencyWhile(async () => {
          order.push("a start");
          await releaseA.promise;
          order.push("a end");
        });
        await Promise.resolve();
        return new Response("started");
      }
    }
    const { url, wsUrl } = await startServer({ main: Critical }, { storage: "memory" });
    const client = connect(wsUrl("/party/crit"));
    await client.opened;
    client.send("x");
    expect(await (await fetch(`${url}/party/crit`)).text()).toBe("started");
    resumeX.resolve();
    releaseA.resolve();
    await waitFor(xRan.promise, "x's callback");
    expect(order).toEqual(["a start", "a end", "x"]);
  });

  it("keeps a room loaded while a message handler still runs after its client left", async () => {
    const release = deferred();
    const closed = deferred();
    class Lingering implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async onMessage() {
        await release.promise;
        await this.room.storage.put("done", true);
      }
      onClose() {
        closed.resolve();
      }
    }
    const { wsUrl, server } = await startServer({ main: Lingering }, { storage: "memory" });
    const client = connect(wsUrl("/party/linger"));
    await client.opened;
    client.send("work");
    client.ws.close();
    await waitFor(closed.promise, "onClose");
    expect(await server.unloadIfIdle("main", "linger")).toBe(false); // its handler still runs
    release.resolve();
    let unloaded = false;
    // The handler settles a few turns after `release`: then the room is idle and unloads.
    for (let turn = 0; turn < 100 && !unloaded; turn++) {
      unloaded = await server.unloadIfIdle("main", "linger");
      if (!unloaded) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(unloaded).toBe(true);
  });

  it("treats a blockConcurrencyWhile from a timer a finished callback left behind as a new one: it waits its turn", async () => {
    const gate = new InputGate(async () => {});
    await gate.whenOpen();
    const order: string[] = [];
    const timerFired = deferred();
    const releaseB = deferred();
    let leaked: Promise<void> | undefined;
    await gate.block(async () => {
      setTimeout(() => {
        leaked = gate.block(async () => void order.push("leaked"));
        timerFired.resolve();
      }, 0);
    });
    const b = gate.block(async () => {
      order.push("B start");
      await releaseB.promise;
      order.push("B end");
    });
    await waitFor(timerFired.promise, "the leftover timer");
    releaseB.resolve();
    await Promise.all([b, leaked]);
    expect(order).toEqual(["B start", "B end", "leaked"]);
  });
});
