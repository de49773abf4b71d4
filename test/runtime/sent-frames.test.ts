/**
 * What a connection sends arrives as sent, in order, whatever its size: small frames (framed by the runtime, see
 * direct-frame.ts), the sizes where the frame header grows, frames left to `ws`, and a large message written in
 * fragments with small ones sent behind it.
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { cleanupAll, connect, startServer } from "../helpers/server.js";

afterEach(cleanupAll);

const TEXT = "héllo ✓ — a text frame";
/** Around the frame header's boundaries (125 / 126, 65,535 / 65,536), around the direct path's cap, and paced (> 256 KiB). */
const SIZES = [0, 1, 125, 126, 16 * 1024, 16 * 1024 + 1, 65_535, 65_536, 300 * 1024, 2];

function payload(size: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + seed) & 0xff;
  return bytes;
}

class Sender implements Party.Server {
  constructor(readonly room: Party.Room) {}
  onMessage(_message: string | ArrayBuffer | ArrayBufferView, conn: Party.Connection) {
    conn.send(TEXT);
    SIZES.forEach((size, seed) => conn.send(payload(size, seed)));
    conn.send(new Uint16Array([0x0102, 0x0304]).subarray(1)); // a view that starts inside its buffer
    conn.send(TEXT);
  }
}

describe("frames sent to a connection", () => {
  it("arrive whole and in order, small, large and paced alike", async () => {
    const { wsUrl } = await startServer({ main: Sender }, { storage: "memory" });
    const client = connect(wsUrl("/party/frames?_pk=a"));
    await client.opened;
    client.send("go");
    expect(await client.nth(0)).toBe(TEXT);
    for (const [index, size] of SIZES.entries()) {
      const frame = (await client.nth(index + 1)) as Uint8Array;
      expect(frame.byteLength).toBe(size);
      expect(Buffer.from(frame).equals(payload(size, index)), `the ${size}-byte frame's bytes`).toBe(true);
    }
    expect(await client.nth(SIZES.length + 1)).toEqual(new Uint8Array(new Uint16Array([0x0304]).buffer));
    expect(await client.nth(SIZES.length + 2)).toBe(TEXT);
  });
});
