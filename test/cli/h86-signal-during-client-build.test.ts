/**
 * Ctrl-C while `yparty dev` was still bundling the page (`serve.build`, the demo's `npm start` for a
 * second or so) logged "shutdown", then went on to open the storage and listen ("server.listening") before closing
 * again: a newcomer's last line read as a server that had started. A signal during startup skips what is left of
 * it (docs/cli.md), the client build included. The client entry imports a FIFO, so the build is held open until the
 * test has sent the signal.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { open, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CliProcess, deferredCleanups, projectWith } from "./helpers.js";

const defer = deferredCleanups(afterEach);

describe("a signal during the client build", () => {
  it("stops the startup there: no storage opened, nothing listens, exit 0", async () => {
    const dir = await projectWith(defer, {
      "yparty.json": JSON.stringify({ serve: { path: "public", build: { entry: "client.ts", outdir: "public/build" } } }),
      "public/index.html": "<!doctype html>",
      "client.ts": 'import "./held.ts";\nconsole.log("client");\n',
    });
    const held = path.join(dir, "held.ts");
    execFileSync("mkfifo", [held]);
    const cli = new CliProcess(["dev", "--port", "0"], { cwd: dir });
    defer(() => cli.stop("SIGKILL"));
    const writer = await open(held, "w"); // resolves once the client build reads the module
    const stopped = cli.stop("SIGINT");
    await cli.waitFor(/shutdown signal=SIGINT/);
    await writer.write("export {};\n").catch(() => {});
    await writer.close().catch(() => {});
    // A plain file again, so that dev's watcher (which reads what the build read) is not held by the FIFO in turn.
    await writeFile(`${held}.tmp`, "export {};\n");
    await rename(`${held}.tmp`, held);
    expect(await stopped).toBe(0);
    expect(cli.output).not.toContain("server.listening");
    expect(existsSync(path.join(dir, ".yparty"))).toBe(false); // the storage was never opened
  });
});
