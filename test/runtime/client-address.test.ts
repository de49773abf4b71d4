/**
 * The client's address as PartyKit code reads it (`cf-connecting-ip`), from the socket or a trusted proxy's
 * `x-forwarded-for`, never from what the client claims. The `basic` example's room and hooks report what they see.
 */
import { afterEach, describe, expect, it } from "vitest";
import Basic from "./fixtures/partykit-basic.js";
import { cleanupAll, connect, refusedUpgrade, startServer } from "../helpers/server.js";

afterEach(cleanupAll);

describe("the client's address in cf-connecting-ip and x-forwarded-for", () => {
  const spoofed = { "cf-connecting-ip": "6.6.6.6", "x-forwarded-for": "6.6.6.6" };

  it("comes from the socket, whatever the client claims, in every request user code sees", async () => {
    const { url, wsUrl } = await startServer({ main: Basic }, { storage: "memory" });
    expect(await (await fetch(`${url}/party/r`, { headers: spoofed })).text()).toBe("r sees 127.0.0.1 127.0.0.1");
    expect(await (await fetch(`${url}/whoami`, { headers: spoofed })).text()).toBe("127.0.0.1");
    expect(await connect(wsUrl("/party/r"), { headers: spoofed }).next()).toBe("hello 127.0.0.1 127.0.0.1");
    expect(await connect(wsUrl("/elsewhere"), { headers: spoofed }).next()).toBe("socket from 127.0.0.1");
  });

  it("comes from the trusted proxy's x-forwarded-for with trustProxy (the entry it added, or the one n hops back)", async () => {
    const proxied = { "cf-connecting-ip": "6.6.6.6", "x-forwarded-for": "6.6.6.6, 203.0.113.7" };
    const one = await startServer({ main: Basic }, { storage: "memory", trustProxy: true });
    expect(await (await fetch(`${one.url}/party/r`, { headers: proxied })).text()).toBe("r sees 203.0.113.7 203.0.113.7");
    expect(await (await fetch(`${one.url}/party/r`)).text()).toBe("r sees 127.0.0.1 127.0.0.1");
    expect(await connect(one.wsUrl("/party/r"), { headers: proxied }).next()).toBe("hello 203.0.113.7 203.0.113.7");
    expect(await refusedUpgrade(one.wsUrl("/party/r"), { "x-forwarded-for": "203.0.113.66" })).toEqual({ status: 403, body: "banned" });

    const two = await startServer({ main: Basic }, { storage: "memory", trustProxy: 2 });
    expect(await (await fetch(`${two.url}/party/r`, { headers: { "x-forwarded-for": "198.51.100.1, 203.0.113.7" } })).text()).toBe(
      "r sees 198.51.100.1 198.51.100.1",
    );
  });
});
