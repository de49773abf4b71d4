/**
 * Every attempt of the provider ends, and never overlaps the next (h153, in Node with `ws`: no browser event matters
 * here): `connectTimeout` at its extremes, disconnect()/destroy() during `params()`, connect()'s promise, and servers
 * that always fail (accept then close with any code, refuse the upgrade) met with a growing backoff, never a storm.
 */
import http from "node:http";
import { afterEach, describe, expect, it, vi } from "vitest";
import { backoffDelay } from "../../provider/backoff.js";
import { Deadline } from "../../provider/deadline.js";
import type { YPartyKitProvider } from "../../provider/index.js";
import { DocumentParty } from "../../src/yjs/index.js";
import { cleanupAll, startServer } from "../helpers/server.js";
import { destroyProviders, listen, makeProvider, nextEvent, scriptedWsServer, type TestHttpServer, waitUntil } from "./support.js";

const servers: TestHttpServer[] = [];
const rejections: unknown[] = [];
const onRejection = (reason: unknown) => rejections.push(reason);
process.on("unhandledRejection", onRejection);
afterEach(async () => {
  destroyProviders();
  await Promise.all(servers.splice(0).map((server) => server.close()));
  await cleanupAll();
  expect(rejections.splice(0)).toEqual([]);
});

const connected = (provider: YPartyKitProvider) => nextEvent(provider, "status", (event: { status: string }) => event.status === "connected");

/** `waitUntil`'s subscription to the upgrade requests of a server (after its own listener recorded them). */
const upgrades = (server: http.Server) => (recheck: () => void) => {
  server.on("upgrade", recheck);
  return () => server.off("upgrade", recheck);
};

/** A `params` whose calls settle only when the test says so. */
function heldParams() {
  const calls: Array<(params: Record<string, string>) => void> = [];
  const called = new EventTarget();
  return {
    params: () =>
      new Promise<Record<string, string>>((resolve) => {
        calls.push(resolve);
        called.dispatchEvent(new Event("call"));
      }),
    calls,
    called: (n: number) =>
      waitUntil(
        `params() called ${n} times`,
        () => calls.length >= n,
        (recheck) => {
          called.addEventListener("call", recheck);
          return () => called.removeEventListener("call", recheck);
        },
      ),
  };
}

/** The timers the provider's own modules set (not `ws`'s, not the test's) that have neither fired nor been cleared. */
function providerTimers() {
  const original = { setTimeout, setInterval, clearTimeout, clearInterval };
  const live = new Set<unknown>();
  // The frame that called the timer function (0: "Error", 1: fromProvider, 2: the stand-in, 3: its caller).
  const fromProvider = () => /(?<!test)\/provider\/[\w-]+\.ts:/.test(new Error().stack?.split("\n")[3] ?? "");
  const g = globalThis as unknown as Record<string, unknown>;
  g.setTimeout = (f: () => void, ms?: number) => {
    if (!fromProvider()) return original.setTimeout(f, ms);
    const timer = original.setTimeout(() => (live.delete(timer), f()), ms);
    live.add(timer);
    return timer;
  };
  g.setInterval = (f: () => void, ms?: number) => {
    const timer = original.setInterval(f, ms);
    if (fromProvider()) live.add(timer);
    return timer;
  };
  g.clearTimeout = g.clearInterval = (timer: NodeJS.Timeout | undefined) => {
    live.delete(timer);
    original.clearTimeout(timer);
  };
  return { live, restore: () => Object.assign(globalThis, original) };
}

describe("connectTimeout", () => {
  it("Infinity is no limit: the provider connects (every attempt was given up within a millisecond)", async () => {
    const server = await startServer({ main: DocumentParty }, { storage: "memory" });
    const provider = makeProvider(server.url.replace("http://", ""), "h153-infinite", { connectTimeout: Number.POSITIVE_INFINITY });
    const closes: string[] = [];
    provider.on("connection-close", (event) => closes.push(event.reason));
    await connected(provider);
    expect(closes).toEqual([]);
  });

  it("Infinity: a network change still brings the deadline forward (Deadline, on vitest's clock)", () => {
    vi.useFakeTimers();
    try {
      const expired: string[] = [];
      const deadline = new Deadline((reason) => expired.push(reason));
      deadline.set(Number.POSITIVE_INFINITY, "never");
      expect(vi.getTimerCount()).toBe(0);
      deadline.bringForward(2_000, "network changed");
      vi.advanceTimersByTime(2_000);
      expect(expired).toEqual(["network changed"]);
      deadline.bringForward(1_000, "expired: nothing to bring forward");
      deadline.set(500, "set");
      deadline.bringForward(1_000, "later: never pushed back");
      deadline.clear();
      deadline.bringForward(100, "cleared: nothing to bring forward");
      vi.advanceTimersByTime(10_000);
      expect(expired).toEqual(["network changed"]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("0, negative or NaN is refused with what to pass (every attempt would be given up at once)", () => {
    for (const connectTimeout of [0, -1, Number.NaN]) {
      expect(() => makeProvider("127.0.0.1:1", "h153-zero", { connectTimeout, connect: false })).toThrow(
        /connectTimeout must be a positive number of ms \(Infinity: no limit\)/,
      );
    }
  });
});

describe("holds: what params() outlives, and what destroy() leaves", () => {
  it("destroy() during params(): no socket is opened when they resolve, connect() resolves", async () => {
    const server = await scriptedWsServer(() => {});
    servers.push(server);
    const held = heldParams();
    const provider = makeProvider(server.host, "h153-destroy-params", { params: held.params, connect: false });
    const connecting = provider.connect();
    await held.called(1);
    provider.destroy();
    await connecting;
    held.calls[0]?.({ token: "late" });
    // One more round trip to the server: an upgrade the late params caused would be there by then.
    const probe = makeProvider(server.host, "h153-destroy-params-probe");
    await waitUntil("the probe's upgrade", () => server.urls.length >= 1, upgrades(server.server));
    await connected(probe);
    expect(server.urls.every((url) => !url.includes("late"))).toBe(true);
    expect(provider.ws).toBe(null);
  });

  it("destroy() leaves no timer: during params(), during a handshake, connected (its watchdog) and backing off", async () => {
    const server = await startServer({ main: DocumentParty }, { storage: "memory" });
    const host = server.url.replace("http://", "");
    const timers = providerTimers();
    try {
      const held = heldParams();
      const inParams = makeProvider(host, "h153-timers", { params: held.params });
      await held.called(1);
      const inHandshake = makeProvider(host, "h153-timers");
      const open = makeProvider(host, "h153-timers", { resyncInterval: 60_000 });
      await connected(open);
      const backingOff = makeProvider("127.0.0.1:1", "h153-timers"); // refused: a retry waits
      await nextEvent(backingOff, "connection-close");
      expect(timers.live.size).toBeGreaterThanOrEqual(4);
      for (const provider of [inParams, inHandshake, open, backingOff]) provider.destroy();
      expect(timers.live.size).toBe(0);
    } finally {
      timers.restore();
    }
  });

  it("disconnect() then connect() during params(): the late params open nothing, the new attempt's one socket", async () => {
    const server = await scriptedWsServer(() => {});
    servers.push(server);
    const held = heldParams();
    const provider = makeProvider(server.host, "h153-reconnect-params", { params: held.params, connect: false });
    const first = provider.connect();
    await held.called(1);
    provider.disconnect();
    const second = provider.connect();
    await first;
    await held.called(2);
    held.calls[1]?.({ token: "second" });
    await second;
    await connected(provider);
    held.calls[0]?.({ token: "first" });
    await provider.connect(); // a no-op: connected
    provider.sendMessage("after"); // the server has the socket by then, and any other opened before it
    await waitUntil("its upgrade", () => server.urls.length >= 1, upgrades(server.server));
    expect(server.urls.map((url) => new URL(url, "http://x").searchParams.get("token"))).toEqual(["second"]);
  });
});

describe("an auth close", () => {
  it("after a listener's connect(): the attempt it started ends, and connect() after a token refresh connects", async () => {
    let upgrades = 0;
    const server = await scriptedWsServer((socket) => {
      if (++upgrades === 1) socket.close(4401, "token expired");
    });
    servers.push(server);
    const provider = makeProvider(server.host, "h153-auth-listener");
    // An app reconnecting by itself on every close, once.
    const reconnect = () => {
      provider.off("connection-close", reconnect);
      void provider.connect();
    };
    provider.on("connection-close", reconnect);
    await nextEvent(provider, "auth-error");
    await new Promise((turn) => setImmediate(turn)); // the token refresh: the listener's attempt got its params meanwhile
    expect([provider.shouldConnect, provider.wsconnecting]).toEqual([false, false]);
    void provider.connect();
    await connected(provider);
    expect(upgrades).toBe(2);
  });
});

describe("shouldConnect set to false by hand during params() (a y-websocket habit)", () => {
  it("the attempt ends when they resolve, nothing opens, and connect() then connects", async () => {
    const server = await scriptedWsServer(() => {});
    servers.push(server);
    const held = heldParams();
    const provider = makeProvider(server.host, "h153-should-connect", { params: held.params });
    await held.called(1);
    provider.shouldConnect = false;
    held.calls[0]?.({ token: "first" });
    await new Promise((turn) => setImmediate(turn)); // the params' resolution is handled
    expect([provider.wsconnecting, provider.ws]).toEqual([false, null]);
    void provider.connect();
    await held.called(2);
    held.calls[1]?.({ token: "second" });
    await connected(provider);
    expect(server.urls.map((url) => new URL(url, "http://x").searchParams.get("token"))).toEqual(["second"]);
  });
});

describe("maxBackoffTime: Infinity", () => {
  it("a backoff never outgrows what timers take (past it, the retry fired at once: a storm after ~25 failures)", () => {
    for (const random of [() => 0, () => 0.999999]) {
      const delays = [24, 25, 30, 60].map((attempt) => backoffDelay(attempt, { initialMs: 100, maxMs: Number.POSITIVE_INFINITY, random }));
      for (const delay of delays) expect(delay).toBeLessThanOrEqual(2 ** 31 - 1);
      expect(delays.at(-1)).toBeGreaterThanOrEqual((2 ** 31 - 1) / 2);
    }
  });
});

describe("holds: a server that always fails is retried with a growing backoff", () => {
  /** Waits for `n` upgrades; each gap is at least half its backoff ceiling (100 ms doubled, equal jitter). */
  async function gapsGrow(server: http.Server, times: number[], n: number): Promise<void> {
    await waitUntil(`${n} attempts`, () => times.length >= n, upgrades(server), 20_000);
    const gaps = times.slice(1, n).map((time, i) => time - (times[i] as number));
    gaps.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual(Math.min(2_500, 100 * 2 ** i) / 2 - 5));
  }

  for (const code of [1000, 1008, 4001, 4003]) {
    it(`accepts, then closes with ${code} at once`, async () => {
      const server = await scriptedWsServer((socket) => socket.close(code, "no"));
      servers.push(server);
      makeProvider(server.host, `h153-close-${code}`);
      await gapsGrow(server.server, server.times, 6);
    });
  }

  it("refuses the upgrade (HTTP 403)", async () => {
    const times: number[] = [];
    const refusing = http.createServer((_req, res) => res.writeHead(404).end());
    refusing.on("upgrade", (_req, socket) => {
      times.push(Date.now());
      socket.end("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
    });
    const listening = await listen(refusing);
    servers.push(listening);
    makeProvider(listening.host, "h153-refused");
    await gapsGrow(refusing, times, 6);
  });
});
