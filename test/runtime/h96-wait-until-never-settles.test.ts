/**
 * A stub socket a request's hook opened lives on while the `ctx.waitUntil` work the request left runs (h91). Work
 * that never settles (a forgotten promise, a wait for an event that never comes) kept it open until a reload or the
 * shutdown: one connection more in the room it reached for every such request. As on Workers, where that work runs
 * at most 30 s past the answer, the sockets now end `limits.waitUntilMs` after the request, settled or not.
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { cleanupAll, pollUntil, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

describe("ctx.waitUntil work that never settles", () => {
  it("keeps the request's stub sockets waitUntilMs past the request, no longer", async () => {
    const closes: Array<{ code: number; reason: string }> = [];
    class Hub implements Party.Server {
      constructor(readonly room: Party.Room) {}
      onClose(_connection: Party.Connection, code: number, reason: string) {
        closes.push({ code, reason });
      }
      static async onFetch(_req: Party.Request, lobby: Party.FetchLobby, ctx: Party.ExecutionContext) {
        const connector = await lobby.parties.main!.get("hub").socket();
        connector.send("a poll's packet");
        ctx.waitUntil(new Promise(() => {}));
        return new Response("ok");
      }
    }
    const server = await startServer({ main: Hub }, { storage: "memory", limits: { waitUntilMs: 300, shutdownTimeoutMs: 300 } });
    for (let i = 0; i < 3; i++) expect(await (await fetch(`${server.url}/poll`)).text()).toBe("ok");
    const hub = () => server.server.rooms().find((room) => room.id === "hub")?.connections ?? 0;
    await pollUntil("3 closes in the hub room", async () => (closes.length >= 3 ? true : undefined));
    expect(hub()).toBe(0);
    expect(closes).toEqual(Array(3).fill({ code: 1001, reason: "The request it was opened for ended" }));
  });
});

describe("server.close() with ctx.waitUntil work that never settles", () => {
  it("ends within shutdownTimeoutMs instead of waiting for it forever", async () => {
    // biome-ignore lint/complexity/noStaticOnlyClass: a party with only a static onFetch, as PartyKit projects write one
    class Forgetful implements Party.Server {
      static onFetch(_req: Party.Request, _lobby: Party.FetchLobby, ctx: Party.ExecutionContext) {
        ctx.waitUntil(new Promise(() => {}));
        return new Response("ok");
      }
    }
    const server = await startServer({ main: Forgetful }, { storage: "memory", limits: { shutdownTimeoutMs: 300 } });
    expect(await (await fetch(`${server.url}/anything`)).text()).toBe("ok");
    const started = Date.now();
    await waitFor(server.stop(), "server.close()", 5_000);
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});
