/**
 * `yparty dev` reloads the sockets a worker serves outside the rooms too (a WebSocketPair end answered from onFetch,
 * as party.io does): before, they stayed on the old code and their clients never learned the server reloaded.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { deferredCleanups, serveFixture } from "./helpers.js";
import { connectText, within, wsUrl } from "./ws-client.js";

const defer = deferredCleanups(afterEach);

describe("yparty dev reload", () => {
  it("closes a WebSocketPair end's socket with 1012, and the client that comes back gets the new code", async () => {
    const { dir, cli, url } = await serveFixture(defer, "dev", "websocket-pair");
    const client = connectText(defer, wsUrl(url, "/socket.io/?EIO=4&transport=websocket"));
    expect(await client.next((message) => message === "hello")).toBe("hello");

    const server = path.join(dir, "src", "server.ts");
    await writeFile(server, (await readFile(server, "utf8")).replace('server.send("hello")', 'server.send("hello again")'));
    expect(await within(client.closed, 15_000, "the reload to close the socket")).toEqual({ code: 1012, reason: "Server code reloaded" });
    await cli.waitFor(/dev\.reloaded/);

    const again = connectText(defer, wsUrl(url, "/socket.io/?EIO=4&transport=websocket"));
    expect(await again.next((message) => message.startsWith("hello"))).toBe("hello again");
  });
});
