/**
 * What a client sent before closing its socket reaches the room, even when it closed before the room was
 * ready: `onConnect`, then its messages in order, then `onClose`. Frames of a connection the server closed
 * (a fault, with `options.closeOnMessageError`) are not delivered.
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { cleanupAll, connect, deferred, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

function recordingParty(startGate: Promise<void>) {
  const events: string[] = [];
  const changed = new Set<() => void>();
  const until = (predicate: () => boolean, what: string) =>
    waitFor(
      new Promise<void>((resolve) => {
        const check = () => predicate() && (changed.delete(check), resolve());
        changed.add(check);
        check();
      }),
      what,
    );
  const record = (event: string) => {
    events.push(event);
    for (const check of [...changed]) check();
  };
  class Slow implements Party.Server {
    /** A failed message closes its connection (the default only logs it). */
    readonly options = { closeOnMessageError: true };
    constructor(readonly room: Party.Room) {}
    async onStart() {
      await startGate;
    }
    onConnect(conn: Party.Connection) {
      record(`connect ${conn.id}`);
    }
    onMessage(message: string | ArrayBuffer | ArrayBufferView, sender: Party.Connection) {
      record(`message ${sender.id} ${String(message)}`);
      if (message === "fail") throw new Error("this message breaks the handler");
    }
    onClose(conn: Party.Connection) {
      record(`close ${conn.id}`);
    }
  }
  return { Slow, events, until };
}

describe("a client that closes early", () => {
  it("still gets onConnect, every message it sent, then onClose, when it closed before the room started", async () => {
    const start = deferred();
    const { Slow, events, until } = recordingParty(start.promise);
    const { wsUrl } = await startServer({ main: Slow }, { storage: "memory" });
    const client = connect(wsUrl("/party/early?_pk=a"));
    await client.opened;
    client.send("hello");
    client.send("world");
    await client.close();
    expect(events).toEqual([]);
    start.resolve();
    await until(() => events.includes("close a"), "onClose of the early client");
    expect(events).toEqual(["connect a", "message a hello", "message a world", "close a"]);
  });

  it("drops the frames that follow one whose handler threw (the server closed that connection)", async () => {
    const start = deferred();
    const { Slow, events, until } = recordingParty(start.promise);
    const { wsUrl } = await startServer({ main: Slow }, { storage: "memory" });
    const client = connect(wsUrl("/party/faulty?_pk=b"));
    await client.opened;
    client.send("fail");
    client.send("after the fault");
    start.resolve();
    expect((await client.closed).code).toBe(1011);
    await until(() => events.includes("close b"), "onClose of the faulted client");
    expect(events).toEqual(["connect b", "message b fail", "close b"]);
  });
});
