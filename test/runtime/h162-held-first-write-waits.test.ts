/**
 * The held first write (the 101 kept in the corked socket with the first frames until `onConnect` has settled) of a
 * socket that waits for its room: one to a room whose previous instance is still unloading gets its 101 with what its
 * `onConnect` sent, in one write, as a first connect to a starting room does (it was answered at once, its frames
 * apart); the wait's bound (`FIRST_WRITE_WAIT_MS`) still lets it open; and a shutdown (while it waits) or a reload
 * (while its room starts) answers it at once with the 101 and the close, not at the bound: timers stand still there.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { closeCodeAfterHead, closeCodeOf, framesWithThe101, HEAD_END, pollTwice, rawUpgrade, textFrame } from "../helpers/raw-upgrade.js";
import { cleanupAll, gate, connect, deferred, startServer, waitFor } from "../helpers/server.js";

afterEach(async () => {
  vi.useRealTimers();
  await cleanupAll();
});

/**
 * A party whose instances' `onStop` waits for `unloads`, whose `onConnect` greets with "hello", and whose lobby
 * tells `upgrading` of each upgrade (the socket reaches its room a few microtasks later).
 */
function slowUnloading() {
  const stopping = deferred();
  const unloads = gate();
  let upgrading = deferred();
  class Room implements Party.Server {
    static onBeforeConnect(request: Party.Request) {
      upgrading.resolve();
      return request;
    }
    constructor(readonly room: Party.Room) {}
    onConnect(conn: Party.Connection) {
      conn.send("hello");
    }
    async onStop() {
      stopping.resolve();
      await unloads.promise;
    }
  }
  /** Starts a server, loads the room `r` with a client that then leaves, and waits until its unload waits in onStop. */
  const unloadingRoom = async (limits: { shutdownTimeoutMs?: number } = {}) => {
    const server = await startServer({ main: Room }, { storage: "memory", limits: { idleUnloadMs: 1, ...limits } });
    const first = connect(server.wsUrl("/party/r?_pk=first"));
    expect(await first.next()).toBe("hello");
    await first.close();
    await waitFor(stopping.promise, "the unload's onStop");
    upgrading = deferred();
    return server;
  };
  /** A raw client of the room `r`, once its upgrade has reached the server's accept. */
  const upgradeWhileUnloading = async (port: number) => {
    const client = rawUpgrade(port, "/party/r?_pk=waiting");
    await waitFor(upgrading.promise, "onBeforeConnect");
    await pollTwice();
    return client;
  };
  return { unloads, unloadingRoom, upgradeWhileUnloading };
}

describe("a socket that waits for its room", () => {
  it("gets its 101 once the room's next instance connected it, with what onConnect sent, in one write", async () => {
    const { unloads, unloadingRoom, upgradeWhileUnloading } = slowUnloading();
    const server = await unloadingRoom();
    const client = await upgradeWhileUnloading(Number(new URL(server.url).port));
    expect(client.chunks).toEqual([]); // nothing yet: the 101 waits for the room, then for onConnect
    unloads.resolve();
    await client.received((all) => all.endsWith(textFrame("hello")));
    expect(framesWithThe101(client)).toBe(textFrame("hello"));
  });

  it("opens within FIRST_WRITE_WAIT_MS when the unload outlasts it, and gets onConnect's frames once it is over", async () => {
    const { unloads, unloadingRoom, upgradeWhileUnloading } = slowUnloading();
    const server = await unloadingRoom({ shutdownTimeoutMs: 60_000 });
    const client = await upgradeWhileUnloading(Number(new URL(server.url).port));
    await client.received((all) => all.includes(HEAD_END));
    expect(client.chunks.join("").split(HEAD_END)[1]).toBe("");
    unloads.resolve();
    await client.received((all) => all.endsWith(textFrame("hello")));
  });

  it("is answered with its 101 and 1001 as soon as the server's shutdown refuses it, not at the bound", async () => {
    const { unloads, unloadingRoom, upgradeWhileUnloading } = slowUnloading();
    const server = await unloadingRoom();
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const client = await upgradeWhileUnloading(Number(new URL(server.url).port));
    const stopped = server.stop();
    unloads.resolve();
    await client.received((all) => closeCodeAfterHead(all) !== undefined);
    expect(closeCodeAfterHead(client.chunks.join(""))).toBe(1001);
    client.socket.destroy(); // the stop waits for its socket's close (its bound's timer stands still)
    await stopped;
  });
});

describe("a socket held while its room starts, when a reload stops the room", () => {
  it("gets its 101 and the 1012 at the stop, in one write, not at the bound", async () => {
    const starting = deferred();
    const starts = gate();
    class SlowStart implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async onStart() {
        starting.resolve();
        await starts.promise;
      }
    }
    const { server, url } = await startServer({ main: SlowStart }, { storage: "memory" });
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const client = rawUpgrade(Number(new URL(url).port), "/party/r?_pk=a");
    await waitFor(starting.promise, "onStart");
    await pollTwice();
    expect(client.chunks).toEqual([]);
    const reloaded = server.reload({ main: SlowStart });
    await client.received((all) => closeCodeAfterHead(all) !== undefined);
    expect(closeCodeOf(framesWithThe101(client))).toBe(1012);
    client.socket.destroy(); // the stop waits for its socket's close (its bound's timer stands still)
    starts.resolve();
    await reloaded;
  });
});
