/**
 * A PostgreSQL store that cannot be reached stops `yparty start` with one line naming the database and why. The line
 * ended "(--store)" whoever had set the URL: a project with `"store"` in yparty.json and no flag sent its user looking
 * for a flag nobody typed. It now names where the URL was read: the flag, or the config file's field.
 */
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { closedPort, deferredCleanups, projectWith, runCli } from "./helpers.js";

const defer = deferredCleanups(afterEach);

describe("a store that cannot be reached", () => {
  it("names the config file's field when the URL came from yparty.json", async () => {
    const url = `postgres://app@127.0.0.1:${await closedPort()}/db`;
    for (const [store, field] of [
      [url, "store"],
      [{ url, queryTimeoutMs: 5000 }, "store.url"],
    ] as const) {
      const dir = await projectWith(defer, { "yparty.json": JSON.stringify({ store }) });
      const result = await runCli(["start", "--port", "0"], { cwd: dir });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`Could not open ${url}`);
      expect(result.stderr).toContain(`("${field}" in ${path.join(dir, "yparty.json")})`);
      expect(result.stderr).not.toContain("--store");
    }
  });

  it("names --store when the URL came from the flag", async () => {
    const url = `postgres://app@127.0.0.1:${await closedPort()}/db`;
    const dir = await projectWith(defer, { "yparty.json": JSON.stringify({ store: "postgres://other@127.0.0.1:1/db" }) });
    const result = await runCli(["start", "--port", "0", "--store", url], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`Could not open ${url}`);
    expect(result.stderr).toMatch(/\(--store\)\n?$/);
  });
});
