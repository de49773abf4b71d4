/**
 * The held first write (a connection whose onConnect awaits gets its 101 once it has settled) as clients meet it when
 * something else happens meanwhile: large and many sends, a throw, the server's stop, the client's reset, a broadcast.
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { RuntimeError } from "../../src/runtime/index.js";
import { cleanupAll, gate, connect, deferred, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

describe("a connection whose 101 waits for onConnect", () => {
  it("gets what onConnect sent, many and large (past the held bytes and a paced fragment), whole and in order", async () => {
    const settle = gate();
    class Big implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async onConnect(conn: Party.Connection) {
        await Promise.resolve();
        for (let i = 0; i < 300; i++) conn.send(`m${i}`);
        conn.send(new Uint8Array(600 * 1024).fill(7));
        conn.send("x".repeat(100 * 1024));
        await settle.promise;
        conn.send("settled");
      }
    }
    const { wsUrl } = await startServer({ main: Big }, { storage: "memory" });
    const client = connect(wsUrl("/party/big?_pk=a"));
    settle.resolve();
    expect(await client.nth(302)).toBe("settled");
    expect(client.messages.slice(0, 300)).toEqual(Array.from({ length: 300 }, (_, i) => `m${i}`));
    expect((client.messages[300] as Uint8Array).every((byte) => byte === 7)).toBe(true);
    expect((client.messages[300] as Uint8Array).byteLength).toBe(600 * 1024);
    expect(client.messages[301]).toBe("x".repeat(100 * 1024));
  });

  it("is opened, then closed 1011 when onConnect throws after an await, 1013 when what it threw is retryable", async () => {
    class Thrower implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async onConnect() {
        await new Promise((resolve) => setImmediate(resolve));
        if (this.room.id === "retry") throw new RuntimeError("ERR_ROOM_UNAVAILABLE", "try later", 503);
        throw new Error("boom");
      }
    }
    const { wsUrl } = await startServer({ main: Thrower }, { storage: "memory" });
    const plain = connect(wsUrl("/party/plain?_pk=a"));
    await plain.opened;
    expect((await waitFor(plain.closed, "the close")).code).toBe(1011);
    const retry = connect(wsUrl("/party/retry?_pk=a"));
    await retry.opened;
    expect((await waitFor(retry.closed, "the close")).code).toBe(1013);
  });

  it("is opened and closed 1001, after what onConnect sent, when the server stops while onConnect never settles", async () => {
    const called = deferred();
    const never = gate();
    class Stuck implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async onConnect(conn: Party.Connection) {
        conn.send("hi");
        called.resolve();
        await never.promise;
      }
    }
    const server = await startServer({ main: Stuck }, { storage: "memory" });
    const client = connect(server.wsUrl("/party/stuck?_pk=a"));
    await waitFor(called.promise, "onConnect");
    await waitFor(server.stop(), "the server's stop");
    expect((await waitFor(client.closed, "the close")).code).toBe(1001);
    expect(client.messages).toEqual(["hi"]);
  });

  it("whose client went away gets onClose once onConnect settled; the room goes on serving", async () => {
    const called = deferred();
    const settle = gate();
    const closed = deferred<string>();
    class Held implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async onConnect(conn: Party.Connection) {
        if (conn.id !== "gone") return;
        called.resolve();
        await settle.promise;
        conn.send("late"); // a no-op: its socket is closed
      }
      onClose(conn: Party.Connection) {
        closed.resolve(conn.id);
      }
    }
    const server = await startServer({ main: Held }, { storage: "memory" });
    const gone = connect(server.wsUrl("/party/reset?_pk=gone"));
    await waitFor(called.promise, "onConnect");
    gone.ws.terminate(); // before its open: the TCP socket is destroyed
    settle.resolve();
    expect(await waitFor(closed.promise, "onClose")).toBe("gone");
    const next = connect(server.wsUrl("/party/reset?_pk=next"));
    await next.opened;
  });

  it("is counted among the room's connections, and a broadcast meanwhile reaches it after its 101, before what onConnect sends next", async () => {
    const heldCalled = deferred();
    const settle = gate();
    class Room implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async onConnect(conn: Party.Connection) {
        if (conn.id === "held") {
          heldCalled.resolve();
          await settle.promise;
        }
        conn.send(`welcome ${conn.id}`);
      }
      onMessage(message: string) {
        this.room.broadcast(`${message} to ${[...this.room.getConnections()].length}`);
      }
    }
    const server = await startServer({ main: Room }, { storage: "memory" });
    const first = connect(server.wsUrl("/party/b?_pk=first"));
    expect(await first.next()).toBe("welcome first");
    const held = connect(server.wsUrl("/party/b?_pk=held"));
    await waitFor(heldCalled.promise, "the held onConnect");
    first.send("hello");
    expect(await first.next()).toBe("hello to 2");
    settle.resolve();
    await held.opened;
    expect(await held.next()).toBe("hello to 2");
    expect(await held.next()).toBe("welcome held");
  });
});
