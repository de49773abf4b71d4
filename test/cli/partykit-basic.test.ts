/**
 * PartyKit's `basic` example shape run by the real `yparty dev`: the `serve` folder reaches `lobby.assets.fetch`
 * (its `/another` route) and answers what nothing serves with `404.html`; `--trust-proxy` gives user code the
 * client's address from the proxy's X-Forwarded-For; binary frames arrive as ArrayBuffer.
 */
import { afterEach, describe, expect, it } from "vitest";
import { copyFixture, deferredCleanups, serveIn } from "./helpers.js";
import { connectText, wsUrl } from "./ws-client.js";

const defer = deferredCleanups(afterEach);

describe("the basic example under yparty dev", () => {
  it("serves /another through lobby.assets, 404.html for unknown pages, and the proxied client's address with --trust-proxy", async () => {
    const copy = await copyFixture("basic");
    defer(copy.remove);
    const { url } = await serveIn(defer, "dev", copy.dir, ["--trust-proxy", "--no-persist"]);
    const another = await fetch(`${url}/another`);
    expect([another.status, (await another.text()).trim()]).toEqual([200, "<h1>another page</h1>"]);
    const lost = await fetch(`${url}/no/such/page`);
    expect([lost.status, (await lost.text()).trim()]).toEqual([404, "<h1>nothing here</h1>"]);

    const proxied = { "x-forwarded-for": "6.6.6.6, 203.0.113.7", "cf-connecting-ip": "6.6.6.6" };
    expect(await (await fetch(`${url}/party/r`, { headers: proxied })).text()).toBe("Hello world: r from 203.0.113.7");
    expect(await (await fetch(`${url}/party/r`)).text()).toBe("Hello world: r from 127.0.0.1");

    const client = connectText(defer, wsUrl(url, "/party/r"));
    expect(await client.next((m) => m.startsWith("hello"))).toBe("hello from 127.0.0.1");
    client.socket.send(new Uint8Array(5));
    expect(await client.next((m) => m.startsWith("bytes"))).toBe("bytes:5");
  });
});
