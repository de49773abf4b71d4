/**
 * A client that sent a message and closed while its room's (async) `onConnect` still ran, when a reload stops the
 * room before `onConnect` settles: the stop closed the connection again (1012) although its client had closed it,
 * which marked it closed by the server, and its held message was dropped once `onConnect` settled (`onClose` still
 * came). The instance that connected it now delivers the message, then `onClose`, before its `onStop`.
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { closeRawClients, frame, rawClient } from "../helpers/raw-websocket.js";
import { cleanupAll, deferred, startServer, waitFor } from "../helpers/server.js";

afterEach(async () => {
  closeRawClients();
  await cleanupAll();
});

/** A masked close frame with code 1000 (mask 0). */
const CLOSE_1000 = Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8]);

describe("a reload while a client's onConnect runs", () => {
  it("delivers what the client sent before it closed, then its onClose, before onStop", async () => {
    const events: string[] = [];
    const connecting = deferred();
    const loaded = deferred(); // e.g. the room loading what the connection needs
    const stopped = deferred();
    class Loading implements Party.Server {
      async onConnect(conn: Party.Connection) {
        events.push(`connect ${conn.id}`);
        connecting.resolve();
        await loaded.promise;
      }
      onMessage(message: string | ArrayBuffer | ArrayBufferView, sender: Party.Connection) {
        events.push(`message ${sender.id} ${typeof message === "string" ? message : new TextDecoder().decode(message as ArrayBuffer)}`);
      }
      onClose(conn: Party.Connection, code: number) {
        events.push(`close ${conn.id} ${code}`);
      }
      onStop() {
        events.push("stop");
        stopped.resolve();
      }
    }
    const { server, url } = await startServer({ main: Loading }, { storage: "memory" });
    const client = await rawClient(Number(new URL(url).port), "/parties/main/r?_pk=a");
    await waitFor(connecting.promise, "onConnect");
    await client.write(Buffer.concat([frame(new TextEncoder().encode("hello")), CLOSE_1000]));
    expect(await waitFor(client.closed, "the server's answer to the close")).toBe(1000);
    client.socket.end(); // as clients do once the close handshake is over

    const reloaded = server.reload({ main: Loading });
    loaded.resolve();
    await waitFor(reloaded, "the reload");
    await waitFor(stopped.promise, "onStop");
    expect(events).toEqual(["connect a", "message a hello", "close a 1000", "stop"]);
  });
});
