/**
 * The newcomer's classic: `npm start` again in a second terminal while the first still runs. The second stopped on
 * "… .yparty is in use by another yparty process" without saying which one or where it already serves, which is
 * what the person needs (open that URL, or stop that pid). It now names both, read from the data folder's
 * server.json. Exit 1 (a runtime failure), no stack.
 */
import { afterEach, describe, expect, it } from "vitest";
import { deferredCleanups, runCli, startIn, tempDir } from "./helpers.js";

const defer = deferredCleanups(afterEach);

describe("a second yparty start on a data folder in use", () => {
  it("names the running server's URL and pid", async () => {
    const project = await tempDir();
    defer(project.remove);
    const first = await startIn(project.dir, defer);
    const second = await runCli(["start", "--port", "0"], { cwd: project.dir });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain("is in use by another yparty process");
    expect(second.stderr).toContain(`pid ${first.cli.child.pid}`);
    expect(second.stderr).toContain(first.url);
    expect(second.stderr).not.toMatch(/\n\s+at /);
  });
});
