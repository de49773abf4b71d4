/**
 * `yparty list --url <other>` without `--token` took the token of the server found in this folder and sent it to
 * the address given: the local server's admin password handed to whatever answers there. Now it refuses (exit 2)
 * and asks for the token of that server; the same server under another loopback name still gets it.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders } from "node:http";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { deferredCleanups, runCli, tempDir } from "./helpers.js";

const defer = deferredCleanups(afterEach);

/** An HTTP server that records the headers of every request and answers like the admin API's `rooms`. */
async function recordingServer(): Promise<{ port: number; seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ rooms: [] }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  defer(() => new Promise((resolve) => server.close(resolve)));
  return { port: (server.address() as { port: number }).port, seen };
}

async function folderWithServer(url: string, token: string): Promise<string> {
  const { dir, remove } = await tempDir("yparty-h79-token-");
  defer(remove);
  await mkdir(path.join(dir, ".yparty"));
  // pid: a process that runs (this one), so the file is taken as a live server's.
  await writeFile(path.join(dir, ".yparty", "server.json"), JSON.stringify({ url, token, pid: process.pid }));
  return dir;
}

describe("the admin token found in a folder", () => {
  it("is not sent to another server named by --url", async () => {
    const local = await recordingServer();
    const other = await recordingServer();
    const token = "local-server-token-0123456789";
    const dir = await folderWithServer(`http://127.0.0.1:${local.port}`, token);
    // (YPARTY_URL takes the same path; the test helpers keep it out of the CLI's environment.)
    const result = await runCli(["list", "--url", `http://127.0.0.1:${other.port}`], { cwd: dir });
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 2, stderr: expect.stringContaining("Pass --token") });
    expect(other.seen).toEqual([]);
    // With the token given, the other server is asked.
    const given = await runCli(["list", "--url", `http://127.0.0.1:${other.port}`, "--token", "other-server-token-0123"], { cwd: dir });
    expect(given.code).toBe(0);
    expect(other.seen.map((headers) => headers.authorization)).toEqual(["Bearer other-server-token-0123"]);
  });

  it("is used for the same server named otherwise (localhost, a trailing slash)", async () => {
    const local = await recordingServer();
    const token = "local-server-token-0123456789";
    const dir = await folderWithServer(`http://127.0.0.1:${local.port}`, token);
    const result = await runCli(["list", "--url", `http://localhost:${local.port}/`], { cwd: dir });
    expect(result.code).toBe(0);
    expect(local.seen.map((headers) => headers.authorization)).toEqual([`Bearer ${token}`]);
  });
});
