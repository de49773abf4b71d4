/**
 * Durable Objects' input gate, which PartyKit code relies on: while a handler awaits a storage read, no other
 * event reaches the room, so `get` then `put` in one handler is never interleaved with another handler's.
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { cleanupAll, connect, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

/** Counts with a read-modify-write in every message and POST, unawaited writes included, as PartyKit apps do. */
class Counter implements Party.Server {
  constructor(readonly room: Party.Room) {}
  async onMessage(_message: string, sender: Party.Connection) {
    const n = ((await this.room.storage.get<number>("n")) ?? 0) + 1;
    void this.room.storage.put("n", n); // not awaited: the next read still sees it
    sender.send(String(n));
  }
  async onRequest(req: Party.Request) {
    if (req.method === "POST") {
      const n = ((await this.room.storage.get<number>("n")) ?? 0) + 1;
      await this.room.storage.put("n", n);
    }
    return new Response(String((await this.room.storage.get<number>("n")) ?? 0));
  }
}

describe("input gate", () => {
  it("loses no increment when three clients and HTTP requests count at once, on LevelDB", async () => {
    const { url, wsUrl } = await startServer({ main: Counter });
    const clients = ["a", "b", "c"].map((id) => connect(wsUrl(`/party/count?_pk=${id}`)));
    await Promise.all(clients.map((c) => c.opened));
    const posts: Array<Promise<Response>> = [];
    for (let i = 0; i < 30; i++) {
      for (const client of clients) client.send("inc");
      if (i % 3 === 0) posts.push(fetch(`${url}/party/count`, { method: "POST" }));
    }
    const answers = await Promise.all(clients.map(async (c) => Promise.all(Array.from({ length: 30 }, () => c.next()))));
    await waitFor(Promise.all(posts), "the POSTs");
    const seen = answers.flat().map(Number);
    expect(new Set(seen).size).toBe(90); // every message saw a count no other message saw
    expect(await (await fetch(`${url}/party/count`)).text()).toBe("100");
  });
});
