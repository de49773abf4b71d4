/**
 * Graceful shutdown whatever happened before it: a `yparty tail` that came and went must not keep SIGINT from
 * closing the server (rooms flushed, a pending onSave run), and a shutdown step that fails exits 1.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import * as Y from "yjs";
import { YPartyKitProvider } from "../../provider/index.js";
import { createLogger } from "../../src/runtime/index.js";
import { runAll } from "../../src/cli/serve/shutdown.js";
import { CliProcess, deferredCleanups, serveIn, tempDir } from "./helpers.js";
import { within } from "./ws-client.js";

const defer = deferredCleanups(afterEach);

/** A YServer whose onSave would only run at unload (the debounce is far longer than the test). */
const savingServer = `
import { YServer } from "yparty/yjs";
export default class Notes extends YServer {
  static callbackOptions = { debounceWait: 600_000, debounceMaxWait: 600_000 };
  async onSave() { console.log("onSave ran in " + this.room.id); }
}
`;

/** Resolves once the server has written everything `provider` sent (yparty's durable acknowledgement). */
function allSaved(provider: YPartyKitProvider): Promise<void> {
  return within(
    new Promise<void>((resolve) => {
      const check = (count: number) => count === 0 && (provider.off("unsynced-changes", check), resolve());
      provider.on("unsynced-changes", check);
    }),
    10_000,
    "the durable acknowledgement",
  );
}

describe("shutdown", () => {
  it("after a tail stream ended, SIGINT still closes the server: the pending onSave runs and the exit code is 0", async () => {
    const { dir, remove } = await tempDir("yparty-shutdown-");
    defer(remove);
    await writeFile(path.join(dir, "server.ts"), savingServer);
    const { cli, url } = await serveIn(defer, "start", dir, ["server.ts", "--log-level", "debug"]);

    const doc = new Y.Doc();
    const provider = new YPartyKitProvider(url.replace("http://", ""), "notes", doc, { WebSocketPolyfill: WebSocket as never, disableBc: true });
    defer(() => provider.destroy());
    const saved = allSaved(provider);
    doc.getText("body").insert(0, "kept at shutdown");
    await saved;

    // A tail that connects and leaves: its stream ends on the client's side.
    const tail = new CliProcess(["tail"], { cwd: dir });
    defer(() => tail.stop("SIGKILL"));
    await tail.waitFor(/Tailing logs of/);
    expect(await tail.stop("SIGINT")).toBe(0);
    await cli.waitFor(/"event":"admin\.tail_ended"/, 10_000);

    expect(await cli.stop("SIGINT")).toBe(0);
    expect(cli.output).not.toContain("shutdown.failed");
    expect(cli.stdout).toContain("onSave ran in notes");
    expect(cli.stdout).toContain('"event":"server.closed"');
  });

  /** `yparty start` serving savingServer with `onSave` replaced, once a change waits for it (at unload: shutdown). */
  async function pendingSave(onSave: string): Promise<CliProcess> {
    const { dir, remove } = await tempDir("yparty-shutdown-");
    defer(remove);
    await writeFile(path.join(dir, "server.ts"), savingServer.replace(/async onSave\(\) \{.*\}/, onSave));
    const { cli, url } = await serveIn(defer, "start", dir, ["server.ts"]);
    const doc = new Y.Doc();
    const provider = new YPartyKitProvider(url.replace("http://", ""), "notes", doc, { WebSocketPolyfill: WebSocket as never, disableBc: true });
    defer(() => provider.destroy());
    const saved = allSaved(provider);
    doc.getText("body").insert(0, "saved at shutdown");
    await saved;
    return cli;
  }

  it("a second SIGINT right after the first (npm run forwards Ctrl-C twice) does not force the exit: onSave still runs", async () => {
    // An onSave that takes a while, so the repeat arrives while the shutdown waits for it.
    const cli = await pendingSave('async onSave() { await new Promise((done) => setTimeout(done, 300)); console.log("onSave ran in " + this.room.id); }');
    cli.child.kill("SIGINT");
    await cli.waitFor(/"event":"shutdown"/);
    expect(await cli.stop("SIGINT")).toBe(0);
    expect(cli.stdout).not.toContain("shutdown.forced");
    expect(cli.stdout).toContain("onSave ran in notes");
  });

  it("a second signal once the grace has passed forces the exit of a shutdown that hangs", async () => {
    const cli = await pendingSave("onSave() { return new Promise(() => {}); }");
    cli.child.kill("SIGINT");
    // Printed once a repeat would force the exit (the grace has passed and the shutdown still runs).
    await cli.waitFor(/"event":"shutdown\.waiting"/, 10_000);
    expect(await cli.stop("SIGINT")).toBe(1);
    expect(cli.stdout).toMatch(/"event":"shutdown\.forced"/);
  });

  it("runs every shutdown step even when one fails, and reports the failure", async () => {
    const lines: string[] = [];
    const logger = createLogger({ json: true, level: "info", write: (line) => void lines.push(line) });
    const ran: string[] = [];
    const ok = await runAll(
      [
        async () => {
          ran.push("streams");
          throw new Error("stream already closed");
        },
        async () => void ran.push("server"),
      ],
      logger,
    );
    expect(ok).toBe(false);
    expect(ran).toEqual(["streams", "server"]);
    expect(lines.join("\n")).toMatch(/"event":"shutdown\.failed".*stream already closed/);
  });
});
