/** Binary frames reach user code as ArrayBuffer, as PartyKit delivers them (and its protocol document says). */
import { afterEach, describe, expect, it } from "vitest";
import Basic from "./fixtures/partykit-basic.js";
import { cleanupAll, connect, startServer } from "../helpers/server.js";

afterEach(cleanupAll);

describe("binary frames reach user code as ArrayBuffer, as on PartyKit", () => {
  it("gives listeners and onMessage an ArrayBuffer holding exactly the frame's bytes, small (batched) and large", async () => {
    const { wsUrl } = await startServer({ main: Basic }, { storage: "memory" });
    const client = connect(wsUrl("/party/bytes"));
    expect(await client.next()).toBe("hello 127.0.0.1 127.0.0.1");
    const sizes = [1, 3, 200, 3_000, 70_000, 1 << 20];
    // Sent back to back: the small ones share TCP reads (ws hands them over as views into one chunk).
    for (const [i, size] of sizes.entries()) {
      const frame = new Uint8Array(size).fill(9);
      frame[size - 1] = 100 + i;
      frame[0] = i + 1;
      client.send(frame);
    }
    for (const [i, size] of sizes.entries()) {
      const last = size === 1 ? i + 1 : 100 + i;
      expect(await client.next()).toBe(`listener ArrayBuffer ${size} ${i + 1} ${last}`);
      expect(await client.next()).toBe(`onMessage ArrayBuffer ${size} ${i + 1} ${last}`);
    }
    client.send("text stays a string");
    expect(await client.next()).toBe("listener text text stays a string");
  });
});
