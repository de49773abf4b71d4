/**
 * The upgrade's answer of a connection whose `onConnect` awaits (or that waits for its room's start) as a client sees
 * it on the wire: the 101 and what `onConnect` sent leave together once it has settled, in one write, as they do
 * for an `onConnect` that returns at once; an `onConnect` that never settles still lets the client open within
 * `FIRST_WRITE_WAIT_MS`; a close sent meanwhile comes after the 101.
 */
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import type * as Party from "../../src/runtime/index.js";
import { framesWithThe101, pollTwice, rawUpgrade, textFrame } from "../helpers/raw-upgrade.js";
import { cleanupAll, deferred, onCleanup, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

describe("the first write of a connection whose onConnect awaits", () => {
  it("holds the 101 until onConnect settles, then sends it with the frames onConnect sent, in one write", async () => {
    const called = deferred();
    const gate = deferred();
    onCleanup(() => gate.resolve());
    class Awaiting implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async onConnect(conn: Party.Connection) {
        called.resolve();
        await gate.promise;
        conn.send("hello");
      }
    }
    const { url } = await startServer({ main: Awaiting }, { storage: "memory" });
    const client = rawUpgrade(Number(new URL(url).port), "/party/held?_pk=a");
    await waitFor(called.promise, "onConnect");
    await pollTwice();
    expect(client.chunks).toEqual([]); // nothing yet: the 101 waits for onConnect
    gate.resolve();
    await client.received((all) => all.endsWith(textFrame("hello")));
    expect(framesWithThe101(client)).toBe(textFrame("hello"));
  });

  it("holds it while the room starts too: a connect that waits for onStart gets the 101 with its first frames", async () => {
    const started = deferred();
    const gate = deferred();
    onCleanup(() => gate.resolve());
    class SlowStart implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async onStart() {
        started.resolve();
        await gate.promise;
      }
      onConnect(conn: Party.Connection) {
        conn.send("first");
        conn.send("second");
      }
    }
    const { url } = await startServer({ main: SlowStart }, { storage: "memory" });
    const client = rawUpgrade(Number(new URL(url).port), "/party/starting?_pk=a");
    await waitFor(started.promise, "onStart");
    await pollTwice();
    expect(client.chunks).toEqual([]);
    gate.resolve();
    await client.received((all) => all.endsWith(textFrame("second")));
    expect(framesWithThe101(client)).toBe(textFrame("first") + textFrame("second"));
  });

  it("lets the client open within FIRST_WRITE_WAIT_MS when onConnect never settles", async () => {
    const never = deferred();
    onCleanup(() => never.resolve());
    class Stuck implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async onConnect() {
        await never.promise;
      }
    }
    const { wsUrl } = await startServer({ main: Stuck }, { storage: "memory" });
    const client = new WebSocket(wsUrl("/party/stuck?_pk=a"));
    onCleanup(() => client.terminate());
    await waitFor(new Promise((resolve, reject) => client.once("open", resolve).once("error", reject)), "the client's open");
  });

  it("sends a close made while the 101 waits after the 101, with it", async () => {
    const gate = deferred();
    onCleanup(() => gate.resolve());
    class Closer implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async onConnect(conn: Party.Connection) {
        conn.send("bye soon");
        await gate.promise;
        conn.close(4000, "done");
        await new Promise(() => {}); // never settles: the close alone releases the 101
      }
    }
    const { wsUrl } = await startServer({ main: Closer }, { storage: "memory" });
    const client = new WebSocket(wsUrl("/party/closer?_pk=a"));
    onCleanup(() => client.terminate());
    const received: string[] = [];
    client.on("message", (data: Buffer) => received.push(data.toString("utf8")));
    const closed = new Promise<number>((resolve, reject) => client.once("close", resolve).once("error", reject));
    gate.resolve();
    expect(await waitFor(closed, "the close")).toBe(4000);
    expect(received).toEqual(["bye soon"]);
  });
});
