/**
 * `yparty start --port N` on a port another program holds ran the config's build command and bundled the project
 * (seconds, on a real one) before its listen found the port taken. The port is now tried first: the start fails with
 * the same "port in use" message before any of it. A free port still starts (the real bind decides).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CliProcess, closedPort, deferredCleanups, heldPort, projectWith, runCli } from "./helpers.js";

const defer = deferredCleanups(afterEach);

/** A build command that leaves a mark, and a party whose bundling fails: either one running shows the start went on. */
const project = {
  "yparty.json": JSON.stringify({ main: "server.js", build: { command: "node -e \"require('fs').writeFileSync('built', '')\"" } }),
  "server.js": 'import missing from "./not-written-yet.js";\nexport default class { onRequest() { return new Response(String(missing)); } }\n',
};

describe("a port in use", () => {
  it("fails the start before the build command and the bundling", async () => {
    const port = await heldPort(defer, (socket) => socket.end("not http\r\n"));
    const dir = await projectWith(defer, project);

    const result = await runCli(["start", "--port", String(port)], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`Port ${port} on 127.0.0.1 is already in use by another program. Stop it, or start this one on another port: --port`);
    expect(result.stderr).not.toContain("not-written-yet");
    expect(existsSync(path.join(dir, "built"))).toBe(false);
  });

  it("leaves a free port to the server: tried before the build, then bound by it", async () => {
    const port = await closedPort();
    const dir = await projectWith(defer, { ...project, "not-written-yet.js": "export default 'served';\n" });
    const cli = new CliProcess(["start", "--port", String(port)], { cwd: dir });
    defer(() => cli.stop("SIGKILL"));
    const url = await cli.url();
    expect(url).toBe(`http://127.0.0.1:${port}`);
    expect(await (await fetch(`${url}/parties/main/r`)).text()).toBe("served");
    expect(existsSync(path.join(dir, "built"))).toBe(true);
  });
});
