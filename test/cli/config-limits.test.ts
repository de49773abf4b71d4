/** `limits` in yparty.json / partykit.json: the server's limits (docs/runtime.md#limits), checked at start. */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import * as Y from "yjs";
import { afterEach, describe, expect, it } from "vitest";
import { resolveProject } from "../../src/cli/config/resolve.js";
import { deferredCleanups, serveIn, tempDir } from "./helpers.js";

const defer = deferredCleanups(afterEach);

async function projectWith(config: unknown): Promise<string> {
  const project = await tempDir("yparty-limits-");
  defer(project.remove);
  await writeFile(path.join(project.dir, "yparty.json"), JSON.stringify(config));
  return project.dir;
}

describe("limits in the config file", () => {
  it("are passed to the server: a POST past maxDocumentBytes is answered 413", async () => {
    const dir = await projectWith({ limits: { maxDocumentBytes: 4096 } });
    expect(resolveProject({ cwd: dir }).limits).toEqual({ maxDocumentBytes: 4096 });
    const { url } = await serveIn(defer, "start", dir);
    const doc = new Y.Doc();
    doc.getMap("m").set("big", new Uint8Array(8192));
    const res = await fetch(`${url}/party/capped`, {
      method: "POST",
      body: Y.encodeStateAsUpdate(doc) as Uint8Array<ArrayBuffer>,
      headers: { "Content-Type": "application/octet-stream" },
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("ERR_DOCUMENT_TOO_LARGE");
  });

  it("refuses an unknown limit or a value it cannot take, naming the field", async () => {
    const unknown = await projectWith({ limits: { maxDocumentSize: 4096 } });
    expect(() => resolveProject({ cwd: unknown })).toThrow(/limits: Unknown limit "maxDocumentSize"/);
    const negative = await projectWith({ limits: { maxBufferedBytes: -1 } });
    expect(() => resolveProject({ cwd: negative })).toThrow(/limits: Limit "maxBufferedBytes" must be a positive number/);
  });
});

describe("documentLimits and durability in the config file", () => {
  it("passes the Yjs parties' limits and the durability on, and refuses what they cannot take, naming the field", async () => {
    const good = await projectWith({ documentLimits: { maxBatchBytes: 1024 }, durability: "strict" });
    expect(resolveProject({ cwd: good })).toMatchObject({ documentLimits: { maxBatchBytes: 1024 }, durability: "strict" });
    const unknown = await projectWith({ documentLimits: { maxBatch: 1024 } });
    expect(() => resolveProject({ cwd: unknown })).toThrow(/documentLimits: Unknown document limit "maxBatch"/);
    const fractional = await projectWith({ documentLimits: { maxBacklogFrames: 0.5 } });
    expect(() => resolveProject({ cwd: fractional })).toThrow(/documentLimits: Document limit "maxBacklogFrames" must be a whole number/);
    const eventual = await projectWith({ durability: "eventual" });
    expect(() => resolveProject({ cwd: eventual })).toThrow(/durability/);
  });
});
