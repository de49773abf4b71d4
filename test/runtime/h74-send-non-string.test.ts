/**
 * A Workers WebSocket's send takes a string or bytes and sends anything else as its string: `conn.send(5)` and
 * `room.broadcast(5)` send "5" (a PartyKit counter written that way: joshnuss/partykit-hibernating-counter). Before,
 * the number reached the frame writer and the connection was closed with 1011.
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { cleanupAll, connect, startServer } from "../helpers/server.js";

afterEach(cleanupAll);

class Counter implements Party.Server {
  readonly options: Party.ServerOptions = { hibernate: true };
  value = 0;
  constructor(readonly room: Party.Room) {}
  onConnect(conn: Party.Connection): void {
    conn.send(this.value as unknown as string);
  }
  onMessage(message: string): void {
    this.value = message === "inc" ? this.value + 1 : Number(message);
    this.room.broadcast(this.value as unknown as string);
    this.room.broadcast({ value: this.value } as unknown as string);
  }
}

describe("send of a value that is neither a string nor bytes", () => {
  it("sends its string, as a text frame, on send and broadcast", async () => {
    const server = await startServer({ main: Counter });
    const client = connect(server.wsUrl("/party/counter"));
    expect(await client.next()).toBe("0");
    client.send("inc");
    expect(await client.next()).toBe("1");
    expect(await client.next()).toBe("[object Object]");
    client.send("41");
    expect(await client.next()).toBe("41");
  });
});
