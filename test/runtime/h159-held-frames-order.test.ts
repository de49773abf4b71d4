/**
 * Frames that arrive while a room starts and while a connection's async `onConnect` runs (the inbox holds them): each
 * connection's frames reach `onMessage` after its own `onConnect` settled and in the order sent, while the frames of
 * the room's other connections flow meanwhile, also those that arrive while one connection's frames wait.
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { cleanupAll, connect, deferred, startServer, type Deferred, type TestClient } from "../helpers/server.js";

afterEach(cleanupAll);

/** Starts once `started` resolves; connection "held" connects once `heldConnects` resolves; echoes every message. */
class Holding implements Party.Server {
  static started: Deferred<void>;
  static heldConnects: Deferred<void>;
  /** What the room did, in order: "connected held", "held 1", … */
  static readonly events: string[] = [];
  constructor(readonly room: Party.Room) {}
  async onStart() {
    await Holding.started.promise;
  }
  async onConnect(connection: Party.Connection) {
    if (connection.id === "held") await Holding.heldConnects.promise;
    Holding.events.push(`connected ${connection.id}`);
  }
  onMessage(message: string | ArrayBuffer | ArrayBufferView, sender: Party.Connection) {
    Holding.events.push(String(message));
    sender.send(`got ${String(message)}`);
  }
}

function sendNumbered(client: TestClient, id: string, from: number, to: number): void {
  for (let n = from; n <= to; n++) client.send(`${id} ${n}`);
}

/** The events of `id`'s connection, in the room's order. */
const eventsOf = (id: string): string[] => Holding.events.filter((event) => event.endsWith(` ${id}`) || event.startsWith(`${id} `));

const numbered = (id: string, to: number): string[] => Array.from({ length: to }, (_, i) => `${id} ${i + 1}`);

describe("frames held for a room's start and a connection's onConnect", () => {
  afterEach(() => {
    Holding.events.length = 0;
  });

  it("reach onMessage after their own connection's onConnect, in order, while the other connections' frames flow", async () => {
    Holding.started = deferred<void>();
    Holding.heldConnects = deferred<void>();
    const { wsUrl } = await startServer({ main: Holding }, { storage: "memory" });
    const url = (id: string) => wsUrl(`/party/order?_pk=${id}`);
    // Both join while the room starts, and send at once: their frames wait for the start.
    const [held, quick] = [connect(url("held")), connect(url("quick"))];
    for (const client of [held, quick]) await client.opened;
    sendNumbered(held, "held", 1, 4);
    sendNumbered(quick, "quick", 1, 4);
    Holding.started.resolve();
    await quick.nth(3);
    // The room is open, "held"'s onConnect still runs: what it sends now waits behind its first frames; the others'
    // frames, and those of a connection joining now, go through.
    sendNumbered(held, "held", 5, 7);
    const late = connect(url("late"));
    await late.opened;
    sendNumbered(late, "late", 1, 3);
    sendNumbered(quick, "quick", 5, 7);
    await late.nth(2);
    await quick.nth(6);
    expect(eventsOf("held"), "nothing of held before its onConnect settled").toEqual([]);

    Holding.heldConnects.resolve();
    await held.nth(6);
    expect(eventsOf("held")).toEqual(["connected held", ...numbered("held", 7)]);
    expect(eventsOf("quick")).toEqual(["connected quick", ...numbered("quick", 7)]);
    expect(eventsOf("late")).toEqual(["connected late", ...numbered("late", 3)]);
    expect(held.messages).toEqual(numbered("held", 7).map((message) => `got ${message}`));
  });
});
