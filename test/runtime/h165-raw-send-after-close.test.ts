/**
 * A mounted handler's `ws.send` after its `ws.close()` fails as `ws` fails it, whatever the message's size: its
 * callback runs after `send` returned (never inside it), with `ws`'s error, a large message's as a small one's.
 */
import { afterEach, expect, it } from "vitest";
import type { SocketHandler } from "../../src/runtime/index.js";
import { FRAGMENT_BYTES } from "../../src/runtime/paced-sender.js";
import { cleanupAll, connect, deferred, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

let callbacks = deferred<string[]>();

/** Closes, then sends a large message and a small one, noting whether each callback ran inside its `send`. */
const handler: SocketHandler = (ws) => {
  ws.once("message", () => {
    ws.close(1000);
    const seen: string[] = [];
    for (const [size, bytes] of [
      ["large", FRAGMENT_BYTES * 4],
      ["small", 10],
    ] as const) {
      let returned = false;
      ws.send(Buffer.alloc(bytes), (error) => {
        seen.push(`${size}: ${returned ? "after send returned" : "inside send"}, ${error?.message}`);
        if (seen.length === 2) callbacks.resolve(seen);
      });
      returned = true;
    }
  });
};

it("a mounted handler's send after its close: each callback runs after send returned, with ws's error", async () => {
  const { wsUrl } = await startServer({}, { storage: "memory", sockets: { "/raw": handler } });
  const client = connect(wsUrl("/raw"));
  await client.opened;
  client.send("close, then send");
  const notOpen = "WebSocket is not open: readyState 2 (CLOSING)";
  expect(await waitFor(callbacks.promise, "both callbacks")).toEqual([`large: after send returned, ${notOpen}`, `small: after send returned, ${notOpen}`]);
  callbacks = deferred<string[]>();
});
