import { afterEach, describe, expect, it } from "vitest";
import { openStorage } from "../../persistence/index.js";
import { StorageError, type KvStore, type Storage } from "../../persistence/types.js";
import type * as Party from "../../src/runtime/index.js";
import { CloseCode, createServer, silentLogger, type LogEntry } from "../../src/runtime/index.js";
import { cleanupAll, connect, deferred, refusedUpgrade, startServer, waitFor } from "../helpers/server.js";
import { ALARMS_KV_NAME } from "../../src/runtime/alarms.js";

afterEach(cleanupAll);

/** `storage` with some methods of some rooms' key-value stores replaced by `faults(room, kv)`. */
function withFaultyKv(storage: Storage, faults: (room: string, kv: KvStore) => Partial<KvStore>): Storage {
  return {
    docs: storage.docs,
    location: storage.location,
    close: () => storage.close(),
    kvRooms: () => storage.kvRooms(),
    kv: (room) => {
      const kv = storage.kv(room);
      return {
        get: kv.get.bind(kv) as KvStore["get"],
        put: kv.put.bind(kv) as KvStore["put"],
        delete: kv.delete.bind(kv) as KvStore["delete"],
        deleteAll: kv.deleteAll.bind(kv),
        list: kv.list.bind(kv),
        transaction: kv.transaction.bind(kv),
        ...faults(room, kv),
      };
    },
  };
}

describe("faults in user code stay with one connection or request", () => {
  it("with closeOnMessageError, a throwing onMessage closes only that connection with 1011 and calls onError; the room and others go on", async () => {
    const errors: string[] = [];
    class Fragile implements Party.Server {
      readonly options = { closeOnMessageError: true };
      constructor(readonly room: Party.Room) {}
      async onMessage(message: string | ArrayBuffer | ArrayBufferView, sender: Party.Connection) {
        if (message === "throw") throw new Error("boom in onMessage");
        if (message === "reject") await Promise.reject(new Error("async boom"));
        this.room.broadcast(`${sender.id}: ${String(message)}`);
      }
      onError(conn: Party.Connection, error: Error) {
        errors.push(`${conn.id}: ${error.message}`);
      }
    }
    const { wsUrl, logs } = await startServer({ main: Fragile }, { storage: "memory" });
    const bad = connect(wsUrl("/party/f?_pk=bad"));
    const worse = connect(wsUrl("/party/f?_pk=worse"));
    const good = connect(wsUrl("/party/f?_pk=good"));
    const elsewhere = connect(wsUrl("/party/other?_pk=elsewhere"));
    await Promise.all([bad.opened, worse.opened, good.opened, elsewhere.opened]);
    bad.send("throw");
    worse.send("reject");
    expect(await bad.closed).toEqual({ code: CloseCode.InternalError, reason: "Internal error" });
    expect((await worse.closed).code).toBe(CloseCode.InternalError);
    expect(errors.sort()).toEqual(["bad: boom in onMessage", "worse: async boom"]);
    const failure = logs.find((e) => e.event === "room.hook_failed" && e.connection === "bad");
    expect(failure).toMatchObject({ level: "error", code: "ERR_HOOK_FAILED", hook: "onMessage", party: "main", room: "f" });
    expect((failure!.error as { stack: string }).stack).toContain("boom in onMessage");
    good.send("still here");
    expect(await good.next()).toBe("good: still here");
    elsewhere.send("me too");
    expect(await elsewhere.next()).toBe("elsewhere: me too");
  });

  it("a throwing onConnect closes the connection with 1011; so does a message listener with closeOnMessageError", async () => {
    class Listening implements Party.Server {
      readonly options = { closeOnMessageError: true };
      onConnect(conn: Party.Connection) {
        if (new URL(conn.url).searchParams.has("refuse")) throw new Error("onConnect failed");
        conn.addEventListener("message", () => {
          throw new Error("listener failed");
        });
      }
    }
    const { wsUrl, logs } = await startServer({ main: Listening }, { storage: "memory" });
    const refused = connect(wsUrl("/party/l?refuse=1"));
    expect((await refused.closed).code).toBe(CloseCode.InternalError);
    const listener = connect(wsUrl("/party/l"));
    await listener.opened;
    listener.send("x");
    expect((await listener.closed).code).toBe(CloseCode.InternalError);
    expect(
      logs
        .filter((e) => e.code === "ERR_HOOK_FAILED")
        .map((e) => e.hook)
        .sort(),
    ).toEqual(["message listener", "onConnect"]);
  });

  it("a throwing onRequest answers a generic 500 JSON (no stack, no message) and logs the stack", async () => {
    class Broken implements Party.Server {
      constructor(readonly room: Party.Room) {}
      onRequest(req: Party.Request): Response {
        if (new URL(req.url).pathname.endsWith("/ok")) return new Response("fine");
        throw new Error("secret database password in this message");
      }
    }
    const { url, logs } = await startServer({ main: Broken }, { storage: "memory" });
    const res = await fetch(`${url}/party/b`);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ error: { code: "ERR_INTERNAL", message: "Internal server error" } });
    expect(text).not.toContain("secret");
    const entry = logs.find((e) => e.event === "room.request_failed");
    expect(entry).toMatchObject({ code: "ERR_INTERNAL", party: "main", room: "b", hook: "onRequest" });
    expect((entry!.error as { stack: string }).stack).toContain("secret database password");
    expect(await (await fetch(`${url}/party/b/ok`)).text()).toBe("fine");
  });

  it("a throwing onBeforeConnect refuses the upgrade with a 500; a failing onStart closes the socket with 1011", async () => {
    let starts = 0;
    class Gate implements Party.Server {
      static onBeforeConnect(req: Party.Request): Party.Request {
        if (new URL(req.url).searchParams.has("explode")) throw new Error("gate exploded");
        return req;
      }
      constructor(readonly room: Party.Room) {}
      onStart() {
        if (++starts === 1) throw new Error("cannot start");
      }
      onConnect(conn: Party.Connection) {
        conn.send("in");
      }
    }
    const { wsUrl } = await startServer({ main: Gate }, { storage: "memory" });
    const refusal = await refusedUpgrade(wsUrl("/party/g?explode=1"));
    expect(refusal.status).toBe(500);
    expect(JSON.parse(refusal.body).error.code).toBe("ERR_INTERNAL");
    const first = connect(wsUrl("/party/g"));
    expect((await first.closed).code).toBe(CloseCode.InternalError);
    const second = connect(wsUrl("/party/g"));
    expect(await second.next()).toBe("in");
  });

  it("a throwing onClose or onStop is logged and the server still closes", async () => {
    const closed = deferred();
    class Sloppy implements Party.Server {
      constructor(readonly room: Party.Room) {}
      onClose() {
        closed.resolve();
        throw new Error("onClose failed");
      }
      onStop() {
        throw new Error("onStop failed");
      }
    }
    const test = await startServer({ main: Sloppy }, { storage: "memory" });
    const client = connect(test.wsUrl("/party/s"));
    await client.opened;
    await test.stop();
    await waitFor(closed.promise, "onClose");
    expect(
      test.logs
        .filter((e) => e.code === "ERR_HOOK_FAILED")
        .map((e) => e.hook)
        .sort(),
    ).toEqual(["onClose", "onStop"]);
  });

  it("a storage failure while a room starts closes sockets with 1013 (try again later) and answers 503", async () => {
    const memory = await openStorage({ memory: true });
    let failReads = true;
    // A storage whose reads fail until the "disk" comes back.
    const flaky = withFaultyKv(memory, (room, kv) => ({
      get: ((key: string) => (failReads ? Promise.reject(new StorageError("ERR_STORAGE_READ", `cannot read room ${room}`)) : kv.get(key))) as KvStore["get"],
    }));
    class Loads implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async onStart() {
        await this.room.storage.get("config");
      }
      onConnect(conn: Party.Connection) {
        conn.send("loaded");
      }
    }
    const logs: LogEntry[] = [];
    const logger = silentLogger();
    logger.subscribe((entry) => logs.push(entry));
    const server = createServer({ parties: { main: Loads }, port: 0, storage: flaky, logger });
    await server.listen();
    try {
      const wsUrl = `${server.url.replace("http", "ws")}/party/disk`;
      expect((await connect(wsUrl).closed).code).toBe(CloseCode.TryAgainLater);
      expect((await fetch(`${server.url}/party/disk`)).status).toBe(503);
      expect(logs.find((e) => e.event === "room.start_failed")).toMatchObject({ code: "ERR_STORAGE_READ", party: "main", room: "disk" });
      failReads = false;
      expect(await connect(wsUrl).next()).toBe("loaded");
    } finally {
      await server.close();
      await memory.close();
    }
  });

  it("stored alarms that cannot be read at start are reported, and the server serves every room all the same", async () => {
    const memory = await openStorage({ memory: true });
    // A damaged table under the alarms' records: their listing fails.
    const damaged = withFaultyKv(memory, (room) =>
      room === ALARMS_KV_NAME ? { list: () => Promise.reject(new StorageError("ERR_STORAGE_READ", "Corruption: block checksum mismatch")) } : {},
    );
    class Hello implements Party.Server {
      constructor(readonly room: Party.Room) {}
      onRequest() {
        return new Response(`hello from ${this.room.id}`);
      }
    }
    const logs: LogEntry[] = [];
    const logger = silentLogger();
    logger.subscribe((entry) => logs.push(entry));
    const server = createServer({ parties: { main: Hello }, port: 0, storage: damaged, logger });
    await server.listen();
    try {
      expect(await (await fetch(`${server.url}/party/fine`)).text()).toBe("hello from fine");
      const report = logs.find((e) => e.event === "alarm.restore_failed");
      expect(report).toMatchObject({ level: "error", code: "ERR_STORAGE_READ" });
      expect(String(report?.message)).toContain("yparty doctor");
    } finally {
      await server.close();
      await memory.close();
    }
  });
});
