/**
 * A SIGINT/SIGTERM while `build.command` runs stops the command's whole process group and exits at once, with the
 * code of any other signal shutdown (0), without starting the server.
 */
import { afterEach, describe, expect, it } from "vitest";
import { CliProcess, deferredCleanups, projectWith, serveIn, writeFiles } from "./helpers.js";
import { pollUntil } from "../helpers/server.js";

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

/** A build command whose node process (a grandchild of the shell) builds for a minute once `hang` exists. */
const slowBuildProject = {
  "server.js": "export default class { onRequest() { return new Response('up'); } }\n",
  "slow-build.mjs": [
    'import { existsSync } from "node:fs";',
    "if (existsSync('hang')) {",
    "  console.log('build running pid=' + process.pid);",
    "  setTimeout(() => {}, 60_000);",
    "}",
  ].join("\n"),
  "assets/page.txt": "v1",
  // The `&&` keeps the shell from exec'ing node: the command is a process tree, as `npm run build` is.
  "yparty.json": JSON.stringify({ main: "server.js", build: { command: "node slow-build.mjs && echo built", watch: "assets" } }),
};

describe("a signal during build.command", () => {
  it.each(["SIGTERM", "SIGINT"] as const)("%s stops the command's process group, starts no server and exits 0 promptly", async (signal) => {
    const dir = await projectWith(defer, { ...slowBuildProject, hang: "" });
    const cli = new CliProcess(["dev", "--port", "0"], { cwd: dir });
    defer(() => cli.stop("SIGKILL"));
    const pid = Number((await cli.waitFor(/build running pid=(\d+)/))[1]);
    defer(() => alive(pid) && process.kill(pid, "SIGKILL"));

    const sent = Date.now();
    expect(await cli.stop(signal)).toBe(0);
    expect(Date.now() - sent).toBeLessThan(5_000);
    expect(cli.output).not.toMatch(/ready on|built/);
    await pollUntil(`the build command's process ${pid} to end`, async () => (alive(pid) ? undefined : true), 5_000);
  });

  it("dev's shutdown ends a build command that a change under build.watch started", async () => {
    const dir = await projectWith(defer, slowBuildProject);
    const { cli } = await serveIn(defer, "dev", dir);
    await writeFiles(dir, { hang: "", "assets/page.txt": "v2" });
    const pid = Number((await cli.waitFor(/build running pid=(\d+)/))[1]);
    defer(() => alive(pid) && process.kill(pid, "SIGKILL"));

    expect(await cli.stop("SIGINT")).toBe(0);
    await pollUntil(`the build command's process ${pid} to end`, async () => (alive(pid) ? undefined : true), 5_000);
  });
});
