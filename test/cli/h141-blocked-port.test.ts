/**
 * `yparty start --port 6665` (or 6000, 5060, 10080: the Fetch standard's "bad ports") served, said ready, and then
 * nothing could reach it: browsers refuse those ports (ERR_UNSAFE_PORT) and so does Node's fetch(), so `yparty list`
 * answered "Cannot reach the server at http://127.0.0.1:6665 (bad port). Is it running?" about a server that was
 * running. The start now warns (`server.port_blocked`) and the admin commands say why they cannot reach it and what
 * to do (src/cli/blocked-ports.ts).
 */
import { createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { CliProcess, deferredCleanups, projectWith, runCli } from "./helpers.js";

const defer = deferredCleanups(afterEach);

/** A blocked port above 1024 that nothing holds now (bound and let go), so the test needs no privileges. */
async function freeBlockedPort(): Promise<number> {
  for (const port of [6665, 6666, 6667, 6668, 6669, 6679, 6697, 6566, 10080, 6000, 4190, 5060, 5061]) {
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once("error", () => resolve(false));
      probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error("every blocked port above 1024 is in use here");
}

describe("a server on a port browsers and fetch() refuse", () => {
  it("yparty start warns at start, and yparty list says why it cannot reach it, not that it is not running", async () => {
    const dir = await projectWith(defer, {});
    const port = await freeBlockedPort();
    const cli = new CliProcess(["start", "--port", String(port)], { cwd: dir });
    defer(() => cli.stop("SIGKILL"));
    await cli.url();
    const warning = JSON.parse((await cli.waitFor(/\{[^\n]*"server\.port_blocked"[^\n]*\}/))[0]) as { level: string; port: number; message: string };
    expect(warning).toMatchObject({ level: "warn", port });
    expect(warning.message).toContain(`port ${port} is one browsers and fetch() refuse to connect to`);
    expect(warning.message).toContain("--port 0 for a free one");

    const list = await runCli(["list"], { cwd: dir });
    expect(list.code).toBe(1);
    expect(list.stderr).toContain(`Cannot reach the server at http://127.0.0.1:${port}: port ${port} is one browsers and fetch() refuse`);
    expect(list.stderr).not.toContain("Is it running?");
    expect(await cli.stop()).toBe(0);
  });
});
