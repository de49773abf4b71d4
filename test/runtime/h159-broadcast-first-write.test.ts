/**
 * Broadcasts from `onConnect`, which reach the joining connection while its upgrade's answer is still held back to go
 * in one write with its first frames (first-write.ts): around the direct-frame limit (16 KiB ± 1, text and binary, past
 * the 64 KiB held at most), the joining client and those already in get every message whole and in order.
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { DIRECT_FRAME_MAX_BYTES } from "../../src/runtime/direct-frame.js";
import { cleanupAll, connect, startServer, type TestClient } from "../helpers/server.js";

afterEach(cleanupAll);

const SIZES = [DIRECT_FRAME_MAX_BYTES - 1, DIRECT_FRAME_MAX_BYTES, DIRECT_FRAME_MAX_BYTES + 1, 100, DIRECT_FRAME_MAX_BYTES];

/** Greeting `index` for `id`: text on even indexes, binary on odd, SIZES[index] bytes, its first bytes naming it. */
function greeting(id: string, index: number): string | Uint8Array {
  const head = `${id}#${index}|`;
  const text = head + "g".repeat(SIZES[index]! - head.length);
  return index % 2 === 0 ? text : new TextEncoder().encode(text);
}

/** Each joining connection has the room broadcast its greetings to everyone, itself included, from onConnect. */
class Greeter implements Party.Server {
  constructor(readonly room: Party.Room) {}
  onConnect(connection: Party.Connection) {
    for (let index = 0; index < SIZES.length; index++) this.room.broadcast(greeting(connection.id, index));
  }
}

function expectGreetings(client: TestClient, ids: string[]): void {
  const expected = ids.flatMap((id) => SIZES.map((_, index) => greeting(id, index)));
  expect(client.messages.length).toBe(expected.length);
  client.messages.forEach((frame, at) => {
    const wanted = expected[at]!;
    if (typeof wanted === "string") expect(frame, `message ${at}`).toBe(wanted);
    else expect(Buffer.from(frame as Uint8Array).equals(Buffer.from(wanted)), `message ${at}`).toBe(true);
  });
}

describe("broadcasts to a connection whose upgrade's answer is held", () => {
  it("reach the joining client after its 101 and the others, every message whole and in order", async () => {
    const { wsUrl } = await startServer({ main: Greeter }, { storage: "memory" });
    const ids = ["a", "b", "c"];
    const clients: TestClient[] = [];
    for (const id of ids) {
      const client = connect(wsUrl(`/party/greet?_pk=${id}`));
      clients.push(client);
      await client.opened;
      await client.nth(SIZES.length - 1); // its own greetings: the last the room sends it now
    }
    const last = (ids.length - 1) * SIZES.length;
    for (const [at, client] of clients.entries()) {
      await client.nth(last + SIZES.length - at * SIZES.length - 1);
      expectGreetings(client, ids.slice(at));
    }
  });
});
