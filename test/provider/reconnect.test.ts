/**
 * Reconnect behaviour against servers scripted to misbehave: one that accepts and closes at once, one that
 * answers every upgrade with 503, one that closes with the auth codes.
 */
import http from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { CloseCode } from "../../src/protocol/index.js";
import { backoffDelay } from "../../provider/backoff.js";
import { ProviderDefaults } from "../../provider/defaults.js";
import {
  destroyProviders,
  listen,
  makeProvider,
  nextEvent,
  scriptedWsServer,
  track,
  waitUntil,
  WS,
  YPartyKitAnchorProvider,
  type TestHttpServer,
} from "./support.js";

const servers: TestHttpServer[] = [];
afterEach(async () => {
  destroyProviders();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const ATTEMPTS = 6;
/** The shortest wait the provider may leave before retry `attempt` (jitter at its lowest). */
const shortestDelay = (attempt: number) =>
  backoffDelay(attempt, { initialMs: ProviderDefaults.initialBackoffMs, maxMs: ProviderDefaults.maxBackoffMs, random: () => 0 });
const gaps = (times: number[]) => times.slice(1).map((time, i) => time - times[i]!);

function attemptsReached(times: number[], server: http.Server, count: number): Promise<void> {
  return waitUntil(
    `${count} connection attempts`,
    () => times.length >= count,
    (recheck) => {
      server.on("upgrade", recheck);
      return () => server.off("upgrade", recheck);
    },
  );
}

describe("reconnect backoff", () => {
  it("keeps growing against a server that accepts and closes right away (no 100 ms storm)", async () => {
    const server = await scriptedWsServer((socket) => socket.close(CloseCode.TryAgainLater, "not now"));
    servers.push(server);
    makeProvider(server.host, "storm");
    await attemptsReached(server.times, server.server, ATTEMPTS);
    const waits = gaps(server.times.slice(0, ATTEMPTS));
    waits.forEach((wait, attempt) => expect(wait, `wait before retry ${attempt}`).toBeGreaterThanOrEqual(shortestDelay(attempt)));
    const total = waits.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual([0, 1, 2, 3, 4].map(shortestDelay).reduce((a, b) => a + b, 0));

    // The anchor's provider resets its backoff on every open: against the same server it retries every ~100 ms.
    const anchorServer = await scriptedWsServer((socket) => socket.close(CloseCode.TryAgainLater, "not now"));
    servers.push(anchorServer);
    track(new YPartyKitAnchorProvider(anchorServer.host, "storm", new Y.Doc(), { WebSocketPolyfill: WS }));
    await attemptsReached(anchorServer.times, anchorServer.server, ATTEMPTS);
    const anchorTotal = gaps(anchorServer.times.slice(0, ATTEMPTS)).reduce((a, b) => a + b, 0);
    expect(anchorTotal).toBeLessThan(total);
  });

  it("backs off against a server that answers upgrades with 503", async () => {
    const times: number[] = [];
    const server = http.createServer((_req, res) => res.writeHead(404).end());
    server.on("upgrade", (_req, socket) => {
      times.push(Date.now());
      socket.end("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    });
    const listening = await listen(server);
    servers.push(listening);
    const provider = makeProvider(listening.host, "refused");
    const statuses: string[] = [];
    provider.on("status", ({ status }) => statuses.push(status));
    await attemptsReached(times, server, 5);
    gaps(times.slice(0, 5)).forEach((wait, attempt) => expect(wait).toBeGreaterThanOrEqual(shortestDelay(attempt)));
    expect(provider.wsconnected).toBe(false);
    expect(provider.wsUnsuccessfulReconnects).toBeGreaterThanOrEqual(4);
    expect(statuses).not.toContain("connected");
  });
});

describe("auth close codes", () => {
  for (const code of [CloseCode.Unauthorized, CloseCode.Forbidden]) {
    it(`stops reconnecting on ${code}, reports it, and resumes on connect() with fresh params`, async () => {
      let accept = false;
      const server = await scriptedWsServer((socket) => {
        if (!accept) socket.close(code, "token expired");
      });
      servers.push(server);
      let token = 0;
      const provider = makeProvider(server.host, "auth", { params: async () => ({ token: `t${++token}` }) });
      const [failure] = await nextEvent(provider, "auth-error");
      expect(failure).toEqual({ code, reason: "token expired" });
      expect(provider.shouldConnect).toBe(false);
      expect(provider.wsconnecting).toBe(false);
      expect(provider.ws).toBeNull();

      accept = true;
      const connected = nextEvent(provider, "status", (event: { status: string }) => event.status === "connected");
      await provider.connect();
      await connected;
      // Exactly one attempt per connect(): none was made on its own after the auth close.
      expect(server.urls.map((url) => new URL(url, "http://x").searchParams.get("token"))).toEqual(["t1", "t2"]);
    });
  }
});

describe("params", () => {
  it("reports a failing params function as connection-error ERR_PARAMS and retries with backoff", async () => {
    const server = await scriptedWsServer(() => {});
    servers.push(server);
    let calls = 0;
    const provider = makeProvider(server.host, "params-fail", {
      params: async () => {
        calls++;
        if (calls === 1) throw new Error("token service down");
        return { token: "ok" };
      },
    });
    const [error] = await nextEvent(provider, "connection-error");
    expect((error as { code?: string }).code).toBe("ERR_PARAMS");
    await nextEvent(provider, "status", (event: { status: string }) => event.status === "connected");
    expect(server.urls).toHaveLength(1);
    const url = new URL(server.urls[0]!, "http://x");
    expect(url.pathname).toBe("/parties/main/params-fail");
    expect(url.searchParams.get("token")).toBe("ok");
    expect(url.searchParams.get("_pk")).toBe(provider.id);
    expect(provider.url).toBe(`ws://${server.host}${server.urls[0]}`);
  });

  it("connects to host + prefix when a prefix is given, and to the chosen party otherwise", async () => {
    const server = await scriptedWsServer(() => {});
    servers.push(server);
    const prefixed = makeProvider(`http://${server.host}/`, "ignored", { prefix: "/custom/path", connectionId: "c1" });
    await nextEvent(prefixed, "status", (event: { status: string }) => event.status === "connected");
    const party = makeProvider(server.host, "r1", { party: "docs" });
    await nextEvent(party, "status", (event: { status: string }) => event.status === "connected");
    expect(server.urls.map((url) => new URL(url, "http://x").pathname)).toEqual(["/custom/path", "/parties/docs/r1"]);
    expect(new URL(server.urls[0]!, "http://x").searchParams.get("_pk")).toBe("c1");
  });

  it("sendMessage answers false while not connected", () => {
    const provider = makeProvider("127.0.0.1:9", "nowhere", { connect: false });
    expect(provider.sendMessage("hello")).toBe(false);
  });
});
