/**
 * docs/cli.md: exit code 2 is "bad usage", 1 a runtime failure (server unreachable). The admin commands check
 * their own arguments (`--format`, `<party>/<room>`) only after they found and asked the server, so a typo in a
 * backup script run while the server is down (or in a folder without one) exits 1 with "No running server found",
 * the same as the outage it is not; with a server, the server is looked up (and named on stderr) first.
 */
import { afterEach, describe, expect, it } from "vitest";
import { deferredCleanups, runCli, tempDir } from "./helpers.js";

const defer = deferredCleanups(afterEach);

describe("admin commands: usage errors come before looking for the server", () => {
  it.each([
    [["export", "main/r", "--format", "xml"], /--format must be json or binary/],
    [["export", "main/"], /Expected <party>\/<room>/],
    [["delete", "nope"], /Expected <party>\/<room>/],
  ])("yparty %s exits 2 with the usage message", async (args, message) => {
    const { dir, remove } = await tempDir("yparty-h66-admin-usage-");
    defer(remove);
    const result = await runCli([...args, "--persist", dir], { cwd: dir });
    expect(result.stderr).toMatch(message);
    expect(result.code).toBe(2);
  });
});
