/**
 * `yparty start` on a port another yparty holds (another project's, started earlier in another terminal) said only
 * "Port 1999 on 127.0.0.1 is already in use", leaving its user to find what holds it. It now asks the port: another
 * yparty is named by its URL, with its pid and data folder when its server.json is one this folder's commands would
 * find; anything else is "another program". Both say what to do: --port.
 */
import { mkdir } from "node:fs/promises";
import { createServer as createHttpServer } from "node:http";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { deferredCleanups, heldPort, projectWith, runCli, startIn } from "./helpers.js";

const defer = deferredCleanups(afterEach);

describe("a port in use", () => {
  it("names another yparty holding it: its URL, and its pid and data folder when they can be found from here", async () => {
    const other = await projectWith(defer, {});
    const first = await startIn(other, defer);
    const port = new URL(first.url).port;

    // A project in a folder below the other's: the other's data folder is one the admin commands there look in.
    const below = path.join(other, "app");
    await mkdir(below);
    const nested = await runCli(["start", "--port", port], { cwd: below });
    expect(nested.code).toBe(1);
    expect(nested.stderr).toContain(`Port ${port} on 127.0.0.1 is already in use by another yparty server, ${first.url}`);
    expect(nested.stderr).toContain(`(pid ${first.cli.child.pid}, data folder ${path.join(other, ".yparty")})`);
    expect(nested.stderr).toContain("--port");

    // From an unrelated folder: the URL alone.
    const elsewhere = await projectWith(defer, {});
    const apart = await runCli(["start", "--port", port], { cwd: elsewhere });
    expect(apart.code).toBe(1);
    expect(apart.stderr).toContain(`in use by another yparty server, ${first.url}. Stop it, or start this one on another port: --port`);
    expect(apart.stderr).not.toContain("pid");
  });

  it("says another program holds it when what answers is not yparty", async () => {
    const port = await heldPort(defer, (socket) => socket.end("not http\r\n"));
    const dir = await projectWith(defer, {});
    const result = await runCli(["start", "--port", String(port)], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`Port ${port} on 127.0.0.1 is already in use by another program. Stop it, or start this one on another port: --port`);
  });

  // (h100) fetch's probe of a program that resets each connection held nothing open (Node 20): the start exited 13, silent.
  it("says another program holds it when that program resets every connection", async () => {
    const port = await heldPort(defer, (socket) => socket.destroy());
    const dir = await projectWith(defer, {});
    const result = await runCli(["start", "--port", String(port)], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`Port ${port} on 127.0.0.1 is already in use by another program. Stop it, or start this one on another port: --port`);
  });

  it("says an HTTP server that is not yparty is another program", async () => {
    const holder = createHttpServer((_req, res) => res.end("hello"));
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    defer(() => {
      holder.closeAllConnections();
      return new Promise<void>((resolve) => holder.close(() => resolve()));
    });
    const port = (holder.address() as { port: number }).port;
    const dir = await projectWith(defer, {});
    const result = await runCli(["start", "--port", String(port)], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`Port ${port} on 127.0.0.1 is already in use by another program (an HTTP server that is not yparty)`);
  });
});
