/**
 * A throwing `onMessage` (or message listener) is logged and the connection stays open, as on PartyKit (its facade
 * catches the handler's rejection and logs it) and partyserver (logs "onMessage error"). Before, yparty closed the
 * socket with 1011 and called onError: a PartyKit room whose handler threw on one odd message lost its client, which
 * reconnected and sent it again. `options.closeOnMessageError` keeps the old behaviour for a server that wants it.
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { cleanupAll, connect, startServer } from "../helpers/server.js";

afterEach(cleanupAll);

describe("a message whose handler throws", () => {
  it("is logged with the room and the connection; the socket stays open and its next messages are handled", async () => {
    const errors: string[] = [];
    class Fragile implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async onMessage(message: string | ArrayBuffer | ArrayBufferView, sender: Party.Connection) {
        if (message === "throw") throw new Error("boom in onMessage");
        if (message === "reject") await Promise.reject(new Error("async boom"));
        sender.send(`ok ${String(message)}`);
      }
      onError(conn: Party.Connection, error: Error) {
        errors.push(`${conn.id}: ${error.message}`);
      }
    }
    const { wsUrl, logs } = await startServer({ main: Fragile }, { storage: "memory" });
    const client = connect(wsUrl("/party/f?_pk=odd"));
    await client.opened;
    client.send("throw");
    client.send("reject");
    client.send("after");
    expect(await client.next()).toBe("ok after");
    const failures = logs.filter((entry) => entry.event === "room.hook_failed");
    expect(failures.map((entry) => (entry.error as Error).message).sort()).toEqual(["async boom", "boom in onMessage"]);
    for (const failure of failures) {
      expect(failure).toMatchObject({ level: "error", code: "ERR_HOOK_FAILED", hook: "onMessage", party: "main", room: "f", connection: "odd" });
    }
    expect(errors).toEqual([]); // onError is for the socket's errors, as on PartyKit
    client.send("still");
    expect(await client.next()).toBe("ok still");
  });

  it("in a message listener is logged; the socket stays open", async () => {
    class Listening implements Party.Server {
      onConnect(conn: Party.Connection) {
        conn.addEventListener("message", (event) => {
          if ((event as MessageEvent).data === "throw") throw new Error("listener failed");
          conn.send(`heard ${(event as MessageEvent).data}`);
        });
      }
    }
    const { wsUrl, logs } = await startServer({ main: Listening }, { storage: "memory" });
    const client = connect(wsUrl("/party/l?_pk=c"));
    await client.opened;
    client.send("throw");
    client.send("next");
    expect(await client.next()).toBe("heard next");
    expect(logs.find((entry) => entry.event === "room.hook_failed")).toMatchObject({ hook: "message listener", room: "l", connection: "c" });
  });
});
