/**
 * A mounted handler's socket says `CLOSING` from its `ws.close()` on, also while the close waits behind a large message
 * (as a room's connection does, and as `ws` does for a close that does not wait): a handler that asks before it sends
 * (the rooms protocol holds a room's messages for the resume, and a `match.found` for the next socket, once its socket
 * is not open) knows that what it sends now is not delivered. The message still arrives whole, then the close.
 */
import { afterEach, expect, it } from "vitest";
import type { SocketHandler } from "../../src/runtime/index.js";
import { cleanupAll, connect, deferred, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

const LARGE = 4 * 1024 * 1024;
const bigBinary = (): Uint8Array => new Uint8Array(LARGE).map((_, i) => i % 251);

let states = deferred<number[]>();

const handler: SocketHandler = (ws) => {
  const seen: number[] = [];
  ws.once("message", () => {
    ws.send(bigBinary());
    ws.close(4000, "done");
    seen.push(ws.readyState);
  });
  ws.once("close", () => states.resolve([...seen, ws.readyState]));
};

it("a mounted handler's socket closing behind a large message says CLOSING; the message arrives whole, then the close", async () => {
  const { wsUrl } = await startServer({}, { storage: "memory", sockets: { "/raw": handler } });
  const client = connect(wsUrl("/raw"));
  await client.opened;
  client.send("go");
  const { code } = await client.closed;
  expect(code).toBe(4000);
  expect(client.messages.length).toBe(1);
  expect(Buffer.from(client.messages[0] as Uint8Array).equals(Buffer.from(bigBinary())), "the message, whole").toBe(true);
  // Before: OPEN (1) until the message was written, up to 30 s.
  expect(await waitFor(states.promise, "the handler's close")).toEqual([2, 3]);
  states = deferred<number[]>();
});
