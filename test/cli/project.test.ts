/**
 * What a new project gets from the real binary: the built-in Yjs party with no code at all, `.env` files and
 * flags in `room.env`, `build.command`, static files with a single-page fallback, and clear failures.
 */
import { mkdir, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import WebSocket from "ws";
import { WebsocketProvider } from "y-websocket";
import * as Y from "yjs";
import { afterEach, describe, expect, it } from "vitest";
import YPartyKitProvider from "../../provider/index.js";
import { CliProcess, deferredCleanups, runCli, serveIn, tempDir } from "./helpers.js";
import { within, wsUrl } from "./ws-client.js";

const defer = deferredCleanups(afterEach);

async function emptyProject(): Promise<string> {
  const project = await tempDir("yparty-project-");
  defer(project.remove);
  return project.dir;
}

/** Resolves once `provider` has no local change left that the server has not durably stored. */
function allSaved(provider: YPartyKitProvider): Promise<void> {
  return new Promise((resolve) => {
    const check = () => provider.synced && provider.unsyncedChanges === 0 && resolve();
    provider.on("unsynced-changes", check);
    provider.on("synced", check);
    check();
  });
}

describe("a project with no code", () => {
  it("serves every room as a Yjs document persisted in .yparty/, kept across SIGTERM and a restart", async () => {
    const dir = await emptyProject();
    const first = await serveIn(defer, "start", dir);
    const host = new URL(first.url).host;

    // Our provider knows when the write is durable; a plain y-websocket client in the same room sees the edit.
    const writerDoc = new Y.Doc();
    const writer = new YPartyKitProvider(host, "notes", writerDoc, { WebSocketPolyfill: WebSocket as never, disableBc: true });
    defer(() => writer.destroy());
    const readerDoc = new Y.Doc();
    const reader = new WebsocketProvider(wsUrl(first.url, "/parties/main"), "notes", readerDoc, { WebSocketPolyfill: WebSocket as never, disableBc: true });
    defer(() => reader.destroy());
    const readerGotIt = new Promise<void>((resolve) => readerDoc.getText("body").observe(() => readerDoc.getText("body").toString() === "hello" && resolve()));

    writerDoc.getText("body").insert(0, "hello");
    await within(Promise.all([allSaved(writer), readerGotIt]), 10_000, "the edit to be stored and relayed");
    writer.destroy();
    reader.destroy();
    expect(await first.cli.stop("SIGTERM")).toBe(0);
    expect((await stat(path.join(dir, ".yparty"))).isDirectory()).toBe(true);

    const second = await serveIn(defer, "start", dir);
    const response = await fetch(`${second.url}/parties/main/notes`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ body: "hello" });
    expect((await fetch(`${second.url}/parties/main/never-written`)).status).toBe(404);
  });

  it("--no-persist keeps rooms in memory and writes no data folder", async () => {
    const dir = await emptyProject();
    const server = await serveIn(defer, "start", dir, ["--no-persist"]);
    const update = new Y.Doc();
    update.getText("body").insert(0, "in memory");
    const posted = await fetch(`${server.url}/parties/main/scratch`, {
      method: "POST",
      headers: { "Content-Type": "application/octet-stream" },
      body: Buffer.from(Y.encodeStateAsUpdate(update)),
    });
    expect(posted.status).toBe(200);
    expect(await (await fetch(`${server.url}/parties/main/scratch`)).json()).toEqual({ body: "in memory" });
    expect(await server.cli.stop("SIGTERM")).toBe(0);
    await expect(stat(path.join(dir, ".yparty"))).rejects.toMatchObject({ code: "ENOENT" });
  });
});

describe("a project with a config", () => {
  it("feeds .env, .env.local and --var into room.env (the flag wins), runs build.command first, and serves static files", async () => {
    const dir = await emptyProject();
    await writeFile(
      path.join(dir, "yparty.json"),
      JSON.stringify({
        main: "server.ts",
        vars: { FROM_CONFIG: "config", OVERRIDDEN: "config" },
        build: { command: "node make-page.mjs" },
        serve: { path: "public", singlePageApp: true },
      }),
    );
    await writeFile(path.join(dir, ".env"), "FROM_ENV=env\nOVERRIDDEN=env\n");
    await writeFile(path.join(dir, ".env.local"), "OVERRIDDEN=local\n");
    await writeFile(
      path.join(dir, "server.ts"),
      `export default class Env { constructor(readonly room: { env: Record<string, unknown> }) {}
         onRequest() { return Response.json(this.room.env); } }\n`,
    );
    await mkdir(path.join(dir, "public"));
    await writeFile(path.join(dir, "public", "index.html"), "<h1>app shell</h1>");
    // The build command makes a file the static server must find at start.
    await writeFile(path.join(dir, "make-page.mjs"), `import { writeFileSync } from "node:fs"; writeFileSync("public/built.txt", "built by build.command");\n`);

    const { url } = await serveIn(defer, "dev", dir, ["--var", "OVERRIDDEN=flag"]);
    expect(await (await fetch(`${url}/parties/main/any`)).json()).toEqual({ FROM_CONFIG: "config", FROM_ENV: "env", OVERRIDDEN: "flag" });
    expect(await (await fetch(`${url}/built.txt`)).text()).toBe("built by build.command");
    const deepLink = await fetch(`${url}/rooms/123`);
    expect(deepLink.status).toBe(200);
    expect(await deepLink.text()).toBe("<h1>app shell</h1>");
    expect((await fetch(`${url}/parties/nope/room`)).status).toBe(404);
  });

  it("takes PartyKit's flags as its npm scripts write them: variadic --var, --with-env, --name (else the config's name); .env reaches process.env", async () => {
    const dir = await emptyProject();
    await writeFile(path.join(dir, "partykit.json"), JSON.stringify({ name: "from-config" }));
    await writeFile(path.join(dir, ".env"), "GREETING=hello from .env\nnot-an-identifier=x\n");
    await writeFile(
      path.join(dir, "server.ts"),
      `declare const GREETING: string;
       export default class Flags { constructor(readonly room: { env: Record<string, unknown> }) {}
         onRequest() { return Response.json({ A: this.room.env.A, B: this.room.env.B, greeting: GREETING, fromProcess: process.env.GREETING }); } }\n`,
    );
    // The entry after the pairs stays the entry (PartyKit's own parser would take it as a variable).
    const { cli, url } = await serveIn(defer, "dev", dir, ["--var", "A=1", "B=2=two", "--with-env", "--name", "my-app", "server.ts"]);
    expect(await (await fetch(`${url}/parties/main/any`)).json()).toEqual({ A: "1", B: "2=two", greeting: "hello from .env", fromProcess: "hello from .env" });
    expect(cli.stdout).toMatch(/^yparty dev: my-app ready on http/m);

    const configNamed = await serveIn(defer, "dev", dir, ["-v", "A=3", "--no-persist"]);
    expect(configNamed.cli.stdout).toMatch(/^yparty dev: from-config ready on http/m);
  });

  it("a failing build.command stops the start with exit 1 and says which command failed", async () => {
    const dir = await emptyProject();
    await writeFile(path.join(dir, "yparty.json"), JSON.stringify({ build: { command: 'node -e "process.exit(3)"' } }));
    const result = await runCli(["start", "--port", "0"], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/build\.command .* failed \(exit code 3\)/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("the port", () => {
  it("a port already in use exits 1 and says what to do", async () => {
    const dir = await emptyProject();
    const first = await serveIn(defer, "start", dir, ["--no-persist"]);
    const port = new URL(first.url).port;
    const second = new CliProcess(["start", "--port", port, "--no-persist"], { cwd: dir });
    defer(() => second.stop("SIGKILL"));
    await second.waitFor(new RegExp(`${port}.*(in use|--port)`), 20_000);
    expect(await second.stop("SIGTERM")).toBe(1);
  });
});
