/**
 * A connection still waiting for its room's start when a reload stops the room. One whose client's first frame was
 * in flight at the stop (sent before it read the 1012, not read by the server yet) was not handed to the next
 * instance: the stop handed only connections with frames read or a close, so that frame, the ones after it and its
 * close reached no instance. It now goes over once such a frame arrives; one that sends nothing still reaches none.
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { closeRawClients, frame, rawClient } from "../helpers/raw-websocket.js";
import { cleanupAll, deferred, startServer, waitFor } from "../helpers/server.js";

afterEach(async () => {
  closeRawClients();
  await cleanupAll();
});

/** A masked close frame with code 1000 (mask 0). */
const CLOSE_1000 = Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8]);
const text = (value: string) => frame(new TextEncoder().encode(value));

/** Parties whose first instance starts once `firstStarts` resolves; `events` records what each instance heard. */
function parties() {
  const events: string[] = [];
  const firstStarts = deferred();
  const heard: Array<() => void> = [];
  let instances = 0;
  class Room implements Party.Server {
    readonly n = ++instances;
    constructor(readonly room: Party.Room) {}
    async onStart() {
      if (this.n === 1) await firstStarts.promise;
    }
    onMessage(message: string | ArrayBuffer | ArrayBufferView) {
      const value = typeof message === "string" ? message : new TextDecoder().decode(message as ArrayBuffer);
      events.push(`${this.n}: ${value}`);
      for (const wake of heard.splice(0)) wake();
    }
    onClose(_conn: Party.Connection, code: number) {
      events.push(`${this.n}: close ${code}, ${[...this.room.getConnections()].length} left`);
      for (const wake of heard.splice(0)) wake();
    }
  }
  /** Resolves once `events` holds `count` entries. */
  const until = (count: number, what: string) =>
    waitFor(
      new Promise<void>((resolve) => {
        const look = () => (events.length >= count ? resolve() : heard.push(look));
        look();
      }),
      what,
    );
  return { Room, events, firstStarts, until };
}

describe("a connection handed to the next instance at a reload", () => {
  it("a frame in flight at the 1012 is delivered by the next instance, in order, then onClose", async () => {
    const { Room, events, firstStarts, until } = parties();
    const { server, url } = await startServer({ main: Room }, { storage: "memory" });
    const client = await rawClient(Number(new URL(url).port), "/parties/main/r?_pk=a");
    await client.write(text("1"));
    const reloaded = server.reload({ main: Room });
    expect(await waitFor(client.closed, "the stop's close")).toBe(1012);
    await client.write(text("2"));
    await client.write(text("3"));
    await client.write(CLOSE_1000);
    firstStarts.resolve();
    await waitFor(reloaded, "the reload");
    await until(4, "onClose");
    expect(events).toEqual(["2: 1", "2: 2", "2: 3", "2: close 1000, 0 left"]);
  });

  it("a client that never answers the 1012: the reload ends within shutdownTimeoutMs, its frames then onClose 1006", async () => {
    const { Room, events, firstStarts, until } = parties();
    const { server, url } = await startServer({ main: Room }, { storage: "memory", limits: { shutdownTimeoutMs: 300 } });
    const client = await rawClient(Number(new URL(url).port), "/parties/main/r?_pk=a");
    await client.write(text("1"));
    const reloaded = server.reload({ main: Room });
    expect(await waitFor(client.closed, "the stop's close")).toBe(1012);
    await client.write(text("2"));
    firstStarts.resolve();
    await waitFor(reloaded, "the reload");
    await until(3, "onClose");
    expect(events).toEqual(["2: 1", "2: 2", "2: close 1006, 0 left"]);
  });

  it("a client that sent nothing and answers the 1012 reaches no instance", async () => {
    const { Room, events, firstStarts } = parties();
    const { server, url } = await startServer({ main: Room }, { storage: "memory" });
    const client = await rawClient(Number(new URL(url).port), "/parties/main/r?_pk=a");
    const reloaded = server.reload({ main: Room });
    expect(await waitFor(client.closed, "the stop's close")).toBe(1012);
    await client.write(CLOSE_1000);
    await waitFor(client.gone, "the socket's end");
    firstStarts.resolve();
    await waitFor(reloaded, "the reload");
    expect(events).toEqual([]);
  });
});
