/**
 * A SIGINT/SIGTERM while `build.command` runs stops the command's whole process group and exits at once, with the
 * code of any other signal shutdown (0), without starting the server.
 */
import { afterEach, describe, expect, it } from "vitest";
import { CliProcess, deferredCleanups, projectWith } from "./helpers.js";

const defer = deferredCleanups(afterEach);

/** Whether process `pid` still runs. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves once `condition` holds; rejects after `timeoutMs` (polls, as a process's end has no event here). */
async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("a signal during build.command", () => {
  it.each(["SIGTERM", "SIGINT"] as const)("%s stops the command's process group, starts no server and exits 0 promptly", async (signal) => {
    const dir = await projectWith(defer, {
      "server.js": "export default class { onRequest() { return new Response('up'); } }\n",
      // A grandchild of the shell (the `&&` keeps the shell from exec'ing it) that would build for a minute.
      "slow-build.mjs": "console.log('build running pid=' + process.pid);\nsetTimeout(() => {}, 60_000);\n",
      "yparty.json": JSON.stringify({ main: "server.js", build: { command: "node slow-build.mjs && echo built" } }),
    });
    const cli = new CliProcess(["dev", "--port", "0"], { cwd: dir });
    defer(() => cli.stop("SIGKILL"));
    const pid = Number((await cli.waitFor(/build running pid=(\d+)/))[1]);
    defer(() => alive(pid) && process.kill(pid, "SIGKILL"));

    const sent = Date.now();
    expect(await cli.stop(signal)).toBe(0);
    expect(Date.now() - sent).toBeLessThan(5_000);
    expect(cli.output).not.toMatch(/ready on|built/);
    await until(() => !alive(pid), 5_000, `the build command's process ${pid} to end`);
  });
});
