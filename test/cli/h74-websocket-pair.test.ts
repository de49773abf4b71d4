/**
 * A worker that answers an upgrade itself (Workers' WebSocketPair and a 101 Response, as PartyKit's party.io does
 * for Socket.IO) runs unchanged: before, `WebSocketPair is not defined` answered every socket with 500.
 */
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { deferredCleanups, serveFixture } from "./helpers.js";
import { connectText, within, wsUrl } from "./ws-client.js";

const defer = deferredCleanups(afterEach);

describe("WebSocketPair in onFetch", () => {
  it("joins the client's socket to the end a 101 Response hands out: frames both ways, closes both ways", async () => {
    const { url } = await serveFixture(defer, "dev", "websocket-pair");
    const client = connectText(defer, wsUrl(url, "/socket.io/?EIO=4&transport=websocket"));
    await within(client.opened, 10_000, "open");
    expect(await client.next((message) => message === "hello")).toBe("hello");
    client.socket.send("abc");
    await client.next((message) => message === "ABC");
    const binary = within(
      new Promise<Buffer>((resolve) => client.socket.on("message", (data, isBinary) => isBinary && resolve(data as Buffer))),
      10_000,
      "binary echo",
    );
    client.socket.send(Uint8Array.of(1, 2, 3));
    expect([...(await binary)]).toEqual([3, 2, 1]);
    client.socket.send("bye");
    expect(await within(client.closed, 10_000, "server's close")).toEqual({ code: 4000, reason: "done" });

    const leaving = new WebSocket(wsUrl(url, "/other"));
    defer(() => leaving.terminate());
    await within(new Promise((resolve) => leaving.once("message", resolve)), 10_000, "hello");
    leaving.close(4001, "gone");
    expect(await (await fetch(`${url}/closed`)).json()).toEqual({ code: 4001, reason: "gone" });
  });

  it("refuses a room's socket with the close of a pair that onBeforeConnect answered with (cursor-party)", async () => {
    const { url } = await serveFixture(defer, "dev", "websocket-pair");
    const refused = connectText(defer, wsUrl(url, "/parties/main/r?from=elsewhere"));
    expect(await within(refused.closed, 10_000, "the pair's close")).toEqual({ code: 1011, reason: "The URL is not allowed" });
    const allowed = connectText(defer, wsUrl(url, "/parties/main/r?from=ok"));
    expect(await allowed.next((message) => message === "welcome")).toBe("welcome");
  });

  it("gives the code Workers' URLPattern, at its module's load too, on every Node version", async () => {
    const { url } = await serveFixture(defer, "start", "websocket-pair");
    expect(await (await fetch(`${url}/books/42`)).json()).toEqual({ id: "42", patterns: "function" });
  });

  it("gives the bundle a Response that takes status 101 with a webSocket, and still is every Response's class", async () => {
    const { url } = await serveFixture(defer, "start", "websocket-pair");
    expect(await (await fetch(`${url}/types`)).json()).toEqual({ plainIsResponse: true, upgradeStatus: 101, plainStatus: 201 });
  });
});
