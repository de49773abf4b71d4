/**
 * A room.storage write PostgreSQL refuses for what it is (a key past its index's limit) fails alone (h105), and the
 * connection it failed on is rolled back and kept: before, each failed commit threw its connection away, so an app
 * retrying a bad key made the server open a new PostgreSQL connection (authentication, TLS, backend start) per try.
 */
import { afterAll, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { stopAllEngines } from "../helpers/engines.js";
import { seededRandom } from "../helpers/seeded-random.js";
import { startServer } from "../helpers/server.js";
import { freshDatabase, query } from "./postgres-helpers.js";

afterAll(stopAllEngines);

/** `POST {key}` puts `true` under `key`; answers 200, or 500 with the put's error code. */
class Notes implements Party.Server {
  readonly options = { storageLimits: false }; // its long keys reach PostgreSQL (Durable Objects' limit would refuse them first)
  constructor(readonly room: Party.Room) {}
  async onRequest(req: Party.Request) {
    const { key } = (await req.json()) as { key: string };
    try {
      await this.room.storage.put(key, true);
      return Response.json({ ok: true });
    } catch (error) {
      return Response.json({ code: (error as { code?: string }).code }, { status: 500 });
    }
  }
}

describe("a write PostgreSQL refuses for what it writes", () => {
  it("fails without costing the server its database connection", async () => {
    const { url, engine } = await freshDatabase();
    const server = await startServer({ notes: Notes }, { store: url });
    const put = async (key: string) => {
      const response = await fetch(`${server.url}/parties/notes/room`, { method: "POST", body: JSON.stringify({ key }) });
      return { status: response.status, body: (await response.json()) as { ok?: true; code?: string } };
    };
    /** The backends of this server's pool (every other session here is the query's own, left out). */
    const backends = async () =>
      new Set(
        (await query(engine.url, "SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()")).map(
          (row) => row.pid as number,
        ),
      );

    expect(await put("short")).toEqual({ status: 200, body: { ok: true } });
    const before = await backends();
    // 2,000 random code units (4,000 bytes as stored, which PostgreSQL cannot compress): past the index entry's 2,704.
    const random = seededRandom(7);
    const tooLong = Array.from({ length: 2_000 }, () => String.fromCharCode(0x100 + Math.floor(random() * 0xd000))).join("");
    for (let attempt = 0; attempt < 10; attempt++) {
      expect(await put(`${tooLong}${attempt}`)).toEqual({ status: 500, body: { code: "ERR_STORAGE_INVALID_ARGUMENT" } });
    }
    expect(await put("short again")).toEqual({ status: 200, body: { ok: true } });
    const after = await backends();
    expect(
      [...after].filter((pid) => !before.has(pid)),
      "backends opened after the refusals",
    ).toEqual([]);
  });
});
