/**
 * Node loads its fetch classes (Request, Response, Headers: undici) on first use, which costs tens of milliseconds of
 * a server's start. A server of Yjs rooms never needs them to start or to serve its sockets (no user hook sees a
 * Request there), so it must not load them: checked in a fresh process.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const FIXTURE = fileURLToPath(new URL("./fixtures/yjs-socket-fetch-classes.ts", import.meta.url));

describe("a server of Yjs rooms", () => {
  it("starts, listens and syncs a socket without loading Node's fetch classes", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", FIXTURE], { timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual({ imported: false, listening: false, synced: false });
  });
});
