/** `yparty list | tail | delete | export` against a real server, found through the data folder's admin file. */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import * as Y from "yjs";
import { afterEach, describe, expect, it } from "vitest";
import { CliProcess, closedPort, deferredCleanups, runCli, serveFixture, serveIn, tempDir } from "./helpers.js";
import { TextClient, within, wsUrl } from "./ws-client.js";

const defer = deferredCleanups(afterEach);
const serve = (fixture: string) => serveFixture(defer, "start", fixture);

describe("admin commands", () => {
  it("the admin API refuses requests without the token", async () => {
    const { url, dir } = await serve("legacy-object");
    expect((await fetch(`${url}/_yparty/rooms`)).status).toBe(401);
    const wrong = await fetch(`${url}/_yparty/rooms`, { headers: { authorization: "Bearer nope" } });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: { code: "ERR_UNAUTHORIZED", message: "Missing or wrong admin token" } });
    const file = JSON.parse(await readFile(path.join(dir, ".yparty", "server.json"), "utf8")) as { token: string; url: string };
    expect(file.url).toBe(url);
    expect((await fetch(`${url}/_yparty/rooms`, { headers: { authorization: `Bearer ${file.token}` } })).status).toBe(200);
  });

  it("list shows live rooms with their connections", async () => {
    const { url, dir } = await serve("legacy-object");
    const client = new TextClient(wsUrl(url, "/parties/main/busy-room"));
    defer(() => client.close());
    await client.next((m) => m.startsWith("legacy hello"));
    const table = await runCli(["list"], { cwd: dir });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^PARTY\s+ROOM\s+CONNECTIONS\s+STORED\s+UPDATES\s+KEYS$/m);
    expect(table.stdout).toMatch(/^main\s+busy-room\s+1\s+0 B\s+0\s+0$/m);
    const json = await runCli(["list", "--json"], { cwd: dir });
    expect(JSON.parse(json.stdout)).toContainEqual({ party: "main", id: "busy-room", connections: 1, storedBytes: 0, storedUpdates: 0, storedKeys: 0 });
  });

  it("list shows the rooms a PartyKit server keeps room.storage for, after a restart too, with their keys", async () => {
    const { dir, cli, url } = await serve("class-api");
    for (const room of ["counter", "other"]) expect((await fetch(`${url}/parties/main/${room}`)).status).toBe(200);
    expect(await cli.stop("SIGTERM")).toBe(0);
    const { url: again } = await serveIn(defer, "start", dir);
    const table = await runCli(["list"], { cwd: dir });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^main\s+counter\s+0\s+0 B\s+0\s+1$/m);
    expect(table.stdout).toMatch(/^main\s+other\s+0\s+0 B\s+0\s+1$/m);
    // The same rooms at the public listing, which loads none of them.
    expect(await (await fetch(`${again}/parties/main`)).json()).toEqual({
      party: "main",
      rooms: ["counter", "other"].map((id) => ({ id, connections: 0, storedBytes: 0, storedUpdates: 0, storedKeys: 1 })),
    });
  });

  it("finds the server the way it was started: package.json's script with a config in a subfolder, from the root or below", async () => {
    const { dir: repo, remove } = await tempDir("yparty-repo-");
    defer(remove);
    await writeFile(path.join(repo, "package.json"), JSON.stringify({ private: true, scripts: { start: "yparty dev --config app/yparty.json" } }));
    await mkdir(path.join(repo, "app", "src"), { recursive: true });
    await writeFile(path.join(repo, "app", "yparty.json"), JSON.stringify({ name: "app" }));
    const { url } = await serveIn(defer, "start", repo, ["--config", "app/yparty.json"]);
    expect(JSON.parse(await readFile(path.join(repo, "app", ".yparty", "server.json"), "utf8"))).toMatchObject({ url });

    const fromRoot = await runCli(["list", "--json"], { cwd: repo });
    expect(fromRoot.code).toBe(0);
    expect(JSON.parse(fromRoot.stdout)).toEqual([]);
    expect(fromRoot.stderr).toBe(`yparty: server ${url} (from app/.yparty/server.json, package.json's "start" script)\n`);
    const fromBelow = await runCli(["list", "--json"], { cwd: path.join(repo, "app", "src") });
    expect(fromBelow.code).toBe(0);
    expect(fromBelow.stderr).toContain(`yparty: server ${url} (from ../.yparty/server.json, a folder above)`);
    // Nothing to find: the message says where it looked and what to pass.
    const { dir: elsewhere, remove: removeElsewhere } = await tempDir("yparty-elsewhere-");
    defer(removeElsewhere);
    const nothing = await runCli(["list"], { cwd: elsewhere });
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toMatch(/No running server found: no server\.json in\n {2}\.yparty \(this folder\)\n/);
    expect(nothing.stderr).toContain("pass --persist <its data folder>");
    // A server.json left by a server that is gone: used as the last resort, and said so.
    const port = await closedPort();
    await mkdir(path.join(elsewhere, ".yparty"));
    await writeFile(path.join(elsewhere, ".yparty", "server.json"), JSON.stringify({ url: `http://127.0.0.1:${port}`, token: "t", pid: 2 ** 22 + 1 }));
    const stale = await runCli(["list"], { cwd: elsewhere });
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain(`its process ${2 ** 22 + 1} is not running here`);
    expect(stale.stderr).toContain(`Cannot reach the server at http://127.0.0.1:${port}`);
  });

  it("tail streams log entries as they happen", async () => {
    const { url, dir } = await serve("legacy-object");
    const tail = new CliProcess(["tail", "--json"], { cwd: dir });
    defer(() => tail.stop("SIGKILL"));
    await tail.waitFor(/Tailing logs of/);
    expect((await fetch(`${url}/parties/main/lobby/boom`)).status).toBe(500);
    const [line] = await tail.waitFor(/^\{.*"level":"error".*\}$/m);
    expect(JSON.parse(line)).toMatchObject({ level: "error", party: "main", room: "lobby" });
    expect(await tail.stop("SIGINT")).toBe(0);
  });

  it("export prints JSON or a binary update; delete removes a stored room after --yes", async () => {
    const { url, dir, cli } = await serve("y-partykit");
    // Write through the y-protocols socket with a raw Yjs update, as any client would.
    const doc = new Y.Doc();
    doc.getText("text").insert(0, "exported words");
    const watcher = new TextClient(wsUrl(url, "/parties/main/report"));
    defer(() => watcher.close());
    await within(watcher.opened, 10_000, "socket");
    const { encodeUpdate } = await import("../../src/protocol/index.js");
    watcher.socket.send(encodeUpdate(Y.encodeStateAsUpdate(doc)));
    await watcher.next((m) => m === "saved:exported words");
    // A room someone is connected to is not deleted under them.
    const refused = await runCli(["delete", "main/report", "--yes"], { cwd: dir });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("main/report is in use (1 connection)");
    watcher.close();
    await within(watcher.closed, 10_000, "close");
    // Stop and restart, so the stored document is what gets exported.
    expect(await cli.stop("SIGTERM")).toBe(0);
    const restarted = new CliProcess(["start", "--port", "0"], { cwd: dir });
    defer(() => restarted.stop("SIGKILL"));
    const restartedUrl = await restarted.url();

    const json = await runCli(["export", "main/report"], { cwd: dir });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ text: "exported words" });
    const binaryFile = path.join(dir, "report.bin");
    const binary = await runCli(["export", "main/report", "--format", "binary", "-o", binaryFile], { cwd: dir });
    expect(binary.code).toBe(0);
    const copy = new Y.Doc();
    Y.applyUpdate(copy, new Uint8Array(await readFile(binaryFile)));
    expect(copy.getText("text").toString()).toBe("exported words");

    const listed = await runCli(["list"], { cwd: dir });
    expect(listed.stdout).toMatch(/^main\s+report\s+0\s+\d+ B\s+\d+\s+\d+$/m);
    // A GET loads the room; nobody is connected, so delete unloads it rather than refusing.
    expect((await fetch(`${restartedUrl}/parties/main/report`)).status).toBe(200);
    const deleted = await runCli(["delete", "main/report", "--yes"], { cwd: dir });
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toBe("Deleted main/report.\n");
    const gone = await runCli(["export", "main/report"], { cwd: dir });
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain("ERR_NOT_FOUND");
  });
});
