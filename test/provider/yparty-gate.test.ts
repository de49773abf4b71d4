/**
 * The provider against a real yparty runtime whose party refuses: onBeforeConnect answering 503 (the
 * handshake fails, the client only sees a failed socket) and onConnect closing with the auth close codes.
 */
import { afterEach, describe, expect, it } from "vitest";
import { CloseCode } from "../../src/protocol/index.js";
import type * as Party from "../../src/runtime/index.js";
import { backoffDelay } from "../../provider/backoff.js";
import { ProviderDefaults } from "../../provider/defaults.js";
import { cleanupAll, startServer } from "../helpers/server.js";
import { destroyProviders, makeProvider, nextEvent, waitUntil } from "./support.js";

afterEach(async () => {
  destroyProviders();
  await cleanupAll();
});

const shortestDelay = (attempt: number) =>
  backoffDelay(attempt, { initialMs: ProviderDefaults.initialBackoffMs, maxMs: ProviderDefaults.maxBackoffMs, random: () => 0 });

describe("against a refusing yparty party", () => {
  it("backs off while onBeforeConnect refuses, then connects once it lets the client in", async () => {
    const attempts: number[] = [];
    const changed = new Set<() => void>();
    let open = false;
    class Gate {
      constructor(readonly room: Party.Room) {}
      static onBeforeConnect() {
        attempts.push(Date.now());
        changed.forEach((recheck) => recheck());
        return open ? new Request("http://gate/") : new Response("maintenance", { status: 503 });
      }
    }
    const { url } = await startServer({ main: Gate }, { storage: "memory" });
    const provider = makeProvider(url, "gated");
    await waitUntil(
      "5 refused attempts",
      () => attempts.length >= 5,
      (recheck) => {
        changed.add(recheck);
        return () => changed.delete(recheck);
      },
    );
    attempts.slice(1, 5).forEach((time, i) => expect(time - attempts[i]!, `wait before retry ${i}`).toBeGreaterThanOrEqual(shortestDelay(i)));
    open = true;
    await nextEvent(provider, "status", (event: { status: string }) => event.status === "connected");
    expect(provider.wsconnected).toBe(true);
  });

  for (const code of [CloseCode.Unauthorized, CloseCode.Forbidden]) {
    it(`stops on ${code} from onConnect and resumes with a fresh token on connect()`, async () => {
      const tokens: Array<string | null> = [];
      class Auth implements Party.Server {
        constructor(readonly room: Party.Room) {}
        onConnect(conn: Party.Connection, ctx: Party.ConnectionContext) {
          const token = new URL(ctx.request.url).searchParams.get("token");
          tokens.push(token);
          if (token !== "fresh") conn.close(code, "token expired");
        }
      }
      const { url } = await startServer({ main: Auth }, { storage: "memory" });
      let token = "stale";
      const provider = makeProvider(url, "auth", { params: async () => ({ token }) });
      const [failure] = await nextEvent(provider, "auth-error");
      expect(failure).toEqual({ code, reason: "token expired" });
      expect(provider.shouldConnect).toBe(false);
      token = "fresh";
      const connected = nextEvent(provider, "status", (event: { status: string }) => event.status === "connected");
      await provider.connect();
      await connected;
      expect(tokens).toEqual(["stale", "fresh"]);
    });
  }
});
