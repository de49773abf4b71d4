/**
 * Probes of room.storage and room.internalID made on first read: an alarm set before anything else read storage,
 * read after a restart; internalID stable and a SHA-256 of the room's name.
 */
import { createHash } from "node:crypto";
import { afterEach, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { cleanupAll, pollUntil, startServer } from "../helpers/server.js";

afterEach(cleanupAll);

class Lazy implements Party.Server {
  constructor(readonly room: Party.Room) {}
  async onRequest(req: Party.Request) {
    if (req.method === "POST") await this.room.storage.setAlarm(Date.now() + 300);
    return Response.json({ id: this.room.internalID, ran: (await this.room.storage.get<number>("ran")) ?? 0 });
  }
  async onAlarm() {
    await this.room.storage.put("ran", ((await this.room.storage.get<number>("ran")) ?? 0) + 1);
  }
}

it("an alarm set as the first use of storage fires after a restart; internalID is the same", async () => {
  const server = await startServer({ main: Lazy });
  const first = (await (await fetch(`${server.url}/parties/main/lazy`, { method: "POST" })).json()) as { id: string };
  expect(first.id).toBe(createHash("sha256").update("main/lazy").digest("hex"));
  const next = await server.restart();
  const ran = await pollUntil("the alarm to run", async () => {
    const state = (await (await fetch(`${next.url}/parties/main/lazy`)).json()) as { id: string; ran: number };
    return state.ran > 0 ? state : undefined;
  });
  expect(ran).toEqual({ id: first.id, ran: 1 });
});
