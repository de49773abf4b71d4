/**
 * An upgrade the server can no longer serve because it started shutting down meanwhile (h129): here, its party's
 * `onBeforeConnect` still ran when the shutdown began. It was answered HTTP 503 ERR_SHUTTING_DOWN, which a browser
 * sees as a bare 1006 with no reason; now it is accepted and closed 1001 with why, as the server's open sockets are.
 */
import { afterEach, expect, test } from "vitest";
import WebSocket from "ws";
import type * as Party from "../../src/runtime/index.js";
import { cleanupAll, deferred, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

test("an upgrade whose onBeforeConnect ends after the shutdown began: closed 1001 with a reason, not 1006", async () => {
  const entered = deferred();
  const release = deferred();
  class Gated implements Party.Server {
    constructor(readonly room: Party.Room) {}
    static async onBeforeConnect(req: Party.Request) {
      entered.resolve();
      await release.promise;
      return req;
    }
    onConnect(connection: Party.Connection) {
      connection.send("connected");
    }
  }
  const { server, wsUrl } = await startServer({ main: Gated }, { storage: "memory" });
  // A plain client, as a browser: a refused upgrade is only an error and 1006 to it.
  const ws = new WebSocket(wsUrl("/party/h129"));
  ws.on("error", () => {});
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })));
  await waitFor(entered.promise, "onBeforeConnect to run");
  const closing = server.close();
  release.resolve();
  expect(await waitFor(closed, "the socket to close")).toEqual({ code: 1001, reason: "The server is shutting down" });
  await waitFor(closing, "the server to close");
});
