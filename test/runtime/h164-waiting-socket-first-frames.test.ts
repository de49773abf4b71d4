/**
 * What a client meets when its socket waits for its room (the room's previous instance still unloading) with its 101
 * held (corked-first-write.ts): frames it sends at once after a 101 the wait's bound released still reach the room
 * after its async `onConnect` and in order; a room full when the socket reaches it answers 101 and 1013 in one write;
 * and a server that takes frames while its `onConnect` runs (`holdMessagesUntilConnected: false`, as the Yjs party)
 * gets the client in at once when the room is ready, not at the bound. A reload meanwhile answers with the new code's
 * greeting in one write; a client reset meanwhile leaves no connection in the room (it was accepted closed: never left).
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { closeCodeAfterHead, closeCodeOf, framesWithThe101, HEAD_END, pollTwice, rawUpgrade, textFrame } from "../helpers/raw-upgrade.js";
import { cleanupAll, gate, connect, type Deferred, deferred, pollUntil, startServer, waitFor } from "../helpers/server.js";

afterEach(async () => {
  vi.useRealTimers();
  await cleanupAll();
});

/** Hooks of the party under test; the client "first" only loads the room (its onConnect sends "loaded"). */
interface Hooks {
  onConnect(conn: Party.Connection): void | Promise<void>;
  onMessage?(message: string | ArrayBuffer, conn: Party.Connection): void;
  options?: Party.ServerOptions;
}

/**
 * Starts a server whose room `r` was loaded by a client that left, and whose unload waits in `onStop` until
 * `unloads` opens: a socket to `r` meanwhile waits for its room (upgrade-handler.ts, `acceptWhenReady`).
 */
async function unloadingRoom(hooks: Hooks, limits: { maxConnectionsPerRoom?: number } = {}) {
  const stopping = deferred();
  const unloads = gate();
  class Room implements Party.Server {
    readonly options = hooks.options;
    constructor(readonly room: Party.Room) {}
    onConnect(conn: Party.Connection) {
      if (conn.id === "first") return conn.send("loaded");
      return hooks.onConnect(conn);
    }
    onMessage(message: string | ArrayBuffer, conn: Party.Connection) {
      hooks.onMessage?.(message, conn);
    }
    async onStop() {
      stopping.resolve();
      await unloads.promise;
    }
  }
  const server = await startServer({ main: Room }, { storage: "memory", limits: { idleUnloadMs: 1, shutdownTimeoutMs: 60_000, ...limits } });
  const first = connect(server.wsUrl("/party/r?_pk=first"));
  expect(await first.next()).toBe("loaded");
  await first.close();
  await waitFor(stopping.promise, "the unload's onStop");
  return { server, port: Number(new URL(server.url).port), unloads };
}

describe("a socket that waits for its room", () => {
  it("sends at once after a 101 the bound released: its frames reach onMessage after its async onConnect, in order", async () => {
    const events: string[] = [];
    const connecting = deferred();
    const connects = gate();
    const { server, unloads } = await unloadingRoom({
      async onConnect(conn) {
        events.push("connect");
        connecting.resolve();
        await connects.promise;
        conn.send("hello");
        events.push("connected");
      },
      onMessage(message, conn) {
        events.push(String(message));
        conn.send(`echo:${String(message)}`);
      },
    });
    const client = connect(server.wsUrl("/party/r?_pk=waiting"));
    await client.opened; // the unload outlasts FIRST_WRITE_WAIT_MS: the bound lets the 101 go
    client.send("m1");
    client.send("m2");
    unloads.resolve();
    await waitFor(connecting.promise, "onConnect");
    expect(events).toEqual(["connect"]);
    connects.resolve();
    expect([await client.next(), await client.next(), await client.next()]).toEqual(["hello", "echo:m1", "echo:m2"]);
    expect(events).toEqual(["connect", "connected", "m1", "m2"]);
  });

  it("answers 101 and 1013 in one write when its room is full as it reaches it, and lets the other one in", async () => {
    const { port, unloads } = await unloadingRoom({ onConnect: (conn) => conn.send("hello") }, { maxConnectionsPerRoom: 1 });
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] }); // the bound never lets a 101 go by itself
    const a = rawUpgrade(port, "/party/r?_pk=a");
    const b = rawUpgrade(port, "/party/r?_pk=b");
    await pollTwice();
    await pollTwice();
    expect([...a.chunks, ...b.chunks]).toEqual([]);
    unloads.resolve();
    const answered = (all: string) => all.endsWith(textFrame("hello")) || closeCodeAfterHead(all) !== undefined;
    await a.received(answered);
    await b.received(answered);
    const answers = [a, b].map((client) => {
      const frames = framesWithThe101(client);
      return closeCodeOf(frames) ?? frames;
    });
    expect(answers.sort()).toEqual([1013, textFrame("hello")].sort());
  });

  it("lets a client in as soon as the room is ready when the server takes frames during onConnect, not at the bound", async () => {
    const { port, unloads } = await unloadingRoom({
      options: { holdMessagesUntilConnected: false },
      // Waits for the client's first frame (a token, a sync step 1), which it sends only once it has its 101.
      async onConnect(conn) {
        const token = deferred<string>();
        tokens.set(conn.id, token);
        conn.send(`welcome:${await token.promise}`);
      },
      onMessage: (message, conn) => tokens.get(conn.id)?.resolve(String(message)),
    });
    const tokens = new Map<string, Deferred<string>>();
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] }); // the bound never lets the 101 go by itself
    const client = rawUpgrade(port, "/party/r?_pk=waiting");
    await pollTwice();
    await pollTwice();
    expect(client.chunks).toEqual([]);
    unloads.resolve();
    await client.received((all) => all.includes(HEAD_END));
    client.socket.write(maskedTextFrame("t0k"));
    await client.received((all) => all.endsWith(textFrame("welcome:t0k")));
  });
});

describe("a socket that waits for its room, when", () => {
  it("a reload comes meanwhile: it gets its 101 with the new code's greeting, in one write, not at the bound", async () => {
    const { server, port, unloads } = await unloadingRoom({ onConnect: (conn) => conn.send("v1") });
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] }); // the bound never lets the 101 go by itself
    const client = rawUpgrade(port, "/party/r?_pk=waiting");
    await pollTwice();
    await pollTwice();
    class Next implements Party.Server {
      onConnect(conn: Party.Connection) {
        conn.send("v2");
      }
    }
    const reloaded = server.server.reload({ main: Next });
    unloads.resolve();
    await reloaded;
    await client.received((all) => all.endsWith(textFrame("v2")) || closeCodeAfterHead(all) !== undefined);
    expect(framesWithThe101(client)).toBe(textFrame("v2"));
  });

  it("its client went away meanwhile (a reset): no connection is left of it, and the room unloads again", async () => {
    const { server, port, unloads } = await unloadingRoom({ onConnect: (conn) => conn.send("hello") });
    const client = rawUpgrade(port, "/party/r?_pk=waiting");
    await pollTwice();
    await pollTwice();
    client.socket.resetAndDestroy();
    await pollTwice();
    unloads.resolve();
    // Served after the waiting socket (in order), by the room's next instance: once it leaves, nothing holds the room.
    const later = connect(server.wsUrl("/party/r?_pk=later"));
    expect(await later.next()).toBe("hello");
    expect(server.server.rooms()).toEqual([{ party: "main", id: "r", connections: 1 }]);
    await later.close();
    await pollUntil("the room to unload, no connection left in it", async () => (server.server.rooms().length === 0 ? true : undefined));
  });
});

/** A client's text frame (masked, under 126 bytes), as a browser sends it. */
function maskedTextFrame(text: string): Buffer {
  const mask = Buffer.from([1, 2, 3, 4]);
  const payload = Buffer.from(text, "utf8").map((byte, i) => byte ^ mask[i % 4]!);
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, payload]);
}
