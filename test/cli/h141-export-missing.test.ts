/**
 * `yparty export counter/doc1` of a PartyKit room that keeps only room.storage (no Yjs document), or of a room name
 * mistyped, answered "No stored document for counter/doc1" and nothing more. It now says where to look: `yparty list`,
 * and which of its columns tell a document from room.storage.
 */
import { afterEach, describe, expect, it } from "vitest";
import { deferredCleanups, projectWith, runCli, startIn } from "./helpers.js";

const defer = deferredCleanups(afterEach);

describe("yparty export of a room with no document says where to look", () => {
  it("a room that only has room.storage keys", async () => {
    const dir = await projectWith(defer, {
      "partykit.json": JSON.stringify({ main: "server.ts" }),
      "server.ts": `export default class { constructor(room) { this.room = room; }
        async onRequest() { await this.room.storage.put("hits", 1); return new Response("ok"); } }`,
    });
    const { url } = await startIn(dir, defer);
    expect((await fetch(`${url}/parties/main/counter`)).status).toBe(200);
    const result = await runCli(["export", "main/counter"], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'ERR_NOT_FOUND: No stored document for main/counter: "yparty list" shows the rooms and which hold a Yjs document (STORED above 0 B; KEYS are room.storage, which export does not read)',
    );
  });
});
