/**
 * helper 57: what still reaches a room instance after its stop. A stop closes the connections still joining it
 * (1012 at a reload) and its storage then refuses every call; what was waiting for the room's turn must not run
 * on the stopped instance afterwards (its writes are refused: the user sees 1011s, 500s and hook failures).
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { CloseCode } from "../../src/runtime/index.js";
import { cleanupAll, connect, deferred, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

describe("helper 57: a stop while something waits for the room's turn", () => {
  it("a connection whose async getConnectionTags was running at the reload gets no onConnect on the stopped instance", async () => {
    const tagsReached = deferred<void>();
    const releaseTags = deferred<void>();
    const tagsReturned = deferred<void>();
    const v1Connects: string[] = [];
    const v1Faults: string[] = [];
    class V1 implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async getConnectionTags() {
        tagsReached.resolve();
        await releaseTags.promise; // e.g. a lookup of the user's team
        tagsReturned.resolve();
        return ["team-a"];
      }
      async onConnect(conn: Party.Connection) {
        v1Connects.push(conn.id);
        try {
          await this.room.storage.put(`seen:${conn.id}`, Date.now());
        } catch (error) {
          v1Faults.push((error as { code?: string }).code ?? String(error));
          throw error;
        }
        conn.send("v1");
      }
    }
    class V2 implements Party.Server {
      onConnect(conn: Party.Connection) {
        conn.send("v2");
      }
    }
    const { server, wsUrl, logs } = await startServer({ main: V1 }, { storage: "memory" });
    const client = connect(wsUrl("/party/tags?_pk=c1"));
    await tagsReached.promise;
    await server.reload({ main: V2 });
    expect((await waitFor(client.closed, "the close of the joining client")).code).toBe(CloseCode.ServiceRestart);
    releaseTags.resolve();
    // The new instance serves the room.
    const again = connect(wsUrl("/party/tags?_pk=c2"));
    expect(await again.next()).toBe("v2");
    // The old instance's getConnectionTags returns; what follows it runs within the turn.
    await tagsReturned.promise;
    await new Promise((resolve) => setImmediate(resolve));
    expect(v1Connects).toEqual([]);
    expect(v1Faults).toEqual([]);
    expect(logs.filter((entry) => entry.event === "room.hook_failed")).toEqual([]);
  });

  it("an HTTP request waiting for the room's start at a reload is not answered 500 by the stopped instance", async () => {
    const started = deferred<void>();
    const releaseStart = deferred<void>();
    class V1 implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async onStart() {
        started.resolve();
        await releaseStart.promise; // a slow load
      }
      async onRequest() {
        return new Response(String((await this.room.storage.get("value")) ?? "none-v1"));
      }
    }
    class V2 implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async onRequest() {
        return new Response(String((await this.room.storage.get("value")) ?? "none-v2"));
      }
    }
    const { server, url } = await startServer({ main: V1 }, { storage: "memory" });
    const pending = fetch(`${url}/party/slow`);
    await started.promise;
    await server.reload({ main: V2 });
    releaseStart.resolve();
    const response = await waitFor(pending, "the answer to the request that waited");
    const body = await response.text();
    // It never ran user code before the stop: the new instance answers it (or it is told to try again, 503), never
    // a 500 from the old code's storage refusing it.
    expect({ status: response.status, body }).not.toMatchObject({ status: 500 });
    expect([200, 503]).toContain(response.status);
  });

  it("an alarm waiting for the room's start at a reload is not counted as a failed onAlarm", async () => {
    const started = deferred<void>();
    const releaseStart = deferred<void>();
    let firstStart = true;
    const fired: string[] = [];
    class V1 implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async onStart() {
        if (firstStart) return void (firstStart = false);
        started.resolve();
        await releaseStart.promise;
      }
      async onRequest() {
        await this.room.storage.setAlarm(Date.now() + 20);
        return new Response("armed");
      }
      async onAlarm() {
        await this.room.storage.put("ran", "v1");
        fired.push("v1");
      }
    }
    const v2Fired = deferred<void>();
    class V2 implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async onAlarm() {
        await this.room.storage.put("ran", "v2");
        fired.push("v2");
        v2Fired.resolve();
      }
    }
    const { server, url, logs } = await startServer({ main: V1 }, { storage: "memory", limits: { idleUnloadMs: 1, alarmRetryBaseMs: 60_000 } });
    expect(await (await fetch(`${url}/party/a`)).text()).toBe("armed");
    // An armed alarm keeps the room loaded: unload it (same code) so that the alarm starts a new instance.
    await server.reload({ main: V1 });
    await started.promise; // the alarm started the room; its onStart is slow
    await server.reload({ main: V2 });
    releaseStart.resolve();
    await waitFor(v2Fired.promise, "the alarm on the new code (not a retry a minute later)", 3_000).catch(() => {});
    expect(logs.filter((entry) => entry.event === "room.hook_failed").map((entry) => entry.code)).toEqual([]);
    expect(fired).toEqual(["v2"]);
  });
});
