/**
 * A close right after a large message (one paced in fragments: over 256 KiB) goes behind the message, as a browser's
 * close goes behind what it sent, for a room's connection and for a socket handed out as it is (a mounted handler);
 * and what a mounted handler sends is paced as a room connection's is: whole, in order, its callbacks run.
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import type { SocketHandler } from "../../src/runtime/index.js";
import { FRAGMENT_BYTES } from "../../src/runtime/paced-sender.js";
import { cleanupAll, connect, pollUntil, startServer, type TestClient } from "../helpers/server.js";

afterEach(cleanupAll);

const MiB = 1024 * 1024;
/** 1 MiB of a three-byte character: the fragments of the text split characters. */
const BIG_TEXT = "€".repeat(MiB / 3 + 1);
const bigBinary = (): Uint8Array => new Uint8Array(MiB).map((_, i) => i % 251);

/** What the server side saw, for the test to check after the client's view. */
const seen: string[] = [];

/** "text" or "binary": sends it, closes 4000, then sends one more (which must not arrive). */
class SendThenClose implements Party.Server {
  constructor(readonly room: Party.Room) {}
  onMessage(message: string | ArrayBuffer | ArrayBufferView, conn: Party.Connection) {
    conn.send(message === "text" ? BIG_TEXT : bigBinary());
    conn.close(4000, "done");
    seen.push(`readyState ${conn.readyState}`);
    conn.send("after the close");
  }
}

/** The same as a mounted handler, with `ws.send`'s callbacks; "fragments": a message of its own in two fragments. */
const handler: SocketHandler = (ws) => {
  ws.on("message", (data: Buffer) => {
    const command = data.toString();
    if (command === "fragments") {
      ws.send(bigBinary(), { fin: false });
      ws.send(bigBinary(), { fin: true });
      return ws.send("after the fragments");
    }
    if (command === "unread") {
      ws.send(new Uint8Array(32 * MiB), (error) => seen.push(`unread sent: ${error?.message ?? "ok"}`));
      return void seen.push("unread sending");
    }
    if (command === "in order") {
      ws.send(BIG_TEXT, (error) => seen.push(`big sent ${error?.message ?? "ok"}`));
      // The first fragment may be written at once; the rest waits, and counts as unsent.
      seen.push(`bufferedAmount counts what waits: ${ws.bufferedAmount >= Buffer.byteLength(BIG_TEXT) - FRAGMENT_BYTES}`);
      return ws.send("after the big one", (error) => seen.push(`small sent ${error?.message ?? "ok"}`));
    }
    ws.send(command === "text" ? BIG_TEXT : bigBinary(), (error) => seen.push(`big sent ${error?.message ?? "ok"}`));
    ws.close(4000, "done");
    ws.send("after the close", (error) => seen.push(`late send: ${error?.message ?? "sent"}`));
  });
};

const sizeOf = (frame: TestClient["messages"][number]): number => (typeof frame === "string" ? frame.length : frame.byteLength);

async function sendAndClose(url: string, kind: "text" | "binary"): Promise<{ code: number; frames: TestClient["messages"] }> {
  const client = connect(url);
  await client.opened;
  client.send(kind);
  const { code } = await client.closed;
  return { code, frames: client.messages };
}

function expectTheMessage(frames: TestClient["messages"], kind: "text" | "binary"): void {
  expect(frames.map(sizeOf), "one message, whole, and nothing sent after the close").toEqual([kind === "text" ? BIG_TEXT.length : MiB]);
  if (kind === "text") expect(frames[0] === BIG_TEXT, "the text as sent").toBe(true);
  else expect(Buffer.from(frames[0] as Uint8Array).equals(Buffer.from(bigBinary())), "the bytes as sent").toBe(true);
}

describe("a close right after a large message", () => {
  afterEach(() => void (seen.length = 0));

  for (const kind of ["text", "binary"] as const) {
    it(`a room's connection: the ${kind} message arrives whole, then the close; the connection says it is closing`, async () => {
      const { wsUrl } = await startServer({ main: SendThenClose }, { storage: "memory" });
      const { code, frames } = await sendAndClose(wsUrl(`/party/${kind}`), kind);
      expect(code).toBe(4000);
      expectTheMessage(frames, kind);
      expect(seen).toEqual(["readyState 2"]);
    });

    it(`a mounted handler's socket: the ${kind} message arrives whole, then the close; its callback runs, a send after the close fails`, async () => {
      const { wsUrl } = await startServer({}, { storage: "memory", sockets: { "/raw": handler } });
      const { code, frames } = await sendAndClose(wsUrl("/raw"), kind);
      expect(code).toBe(4000);
      expectTheMessage(frames, kind);
      expect(seen.sort()).toEqual(["big sent ok", "late send: WebSocket is not open: readyState 2 (CLOSING)"]);
    });
  }
});

describe("a mounted handler's large messages", () => {
  afterEach(() => void (seen.length = 0));

  it("are paced and counted: what it sends next arrives after, in order, each callback once it was written", async () => {
    const { wsUrl } = await startServer({}, { storage: "memory", sockets: { "/raw": handler } });
    const client = connect(wsUrl("/raw"));
    await client.opened;
    client.send("in order");
    expect(await client.next()).toBe(BIG_TEXT);
    expect(await client.next()).toBe("after the big one");
    await client.close();
    expect(seen).toEqual(["bufferedAmount counts what waits: true", "big sent ok", "small sent ok"]);
  });

  it("its client's close is answered at once, not behind a message the client stopped reading", async () => {
    const { wsUrl } = await startServer({}, { storage: "memory", sockets: { "/raw": handler } });
    const client = connect(wsUrl("/raw"));
    await client.opened;
    (client.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    client.send("unread");
    await pollUntil("the handler's send", async () => seen.includes("unread sending") || undefined);
    client.ws.close(1000);
    // `ws` answers the close through the handed-out socket's `close`: before, it waited behind the 32 MiB (30 s, then
    // cut), the handler's socket still open all the while.
    await pollUntil("the large message to be given up", async () => seen.length > 1 || undefined);
    expect(seen).toEqual(["unread sending", "unread sent: WebSocket is not open"]);
    client.ws.terminate();
  });

  it("a message it sends in fragments of its own goes as it is: one message of both", async () => {
    const { wsUrl } = await startServer({}, { storage: "memory", sockets: { "/raw": handler } });
    const client = connect(wsUrl("/raw"));
    await client.opened;
    client.send("fragments");
    const whole = (await client.next()) as Uint8Array;
    expect(whole.byteLength).toBe(2 * MiB);
    expect(Buffer.from(whole).equals(Buffer.concat([bigBinary(), bigBinary()]))).toBe(true);
    expect(await client.next()).toBe("after the fragments");
  });
});
