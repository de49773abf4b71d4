/** A `define` value esbuild refuses is a config mistake: exit 2, naming the field and what it takes. */
import { afterEach, describe, expect, it } from "vitest";
import { deferredCleanups, projectWith, runCli } from "./helpers.js";

const defer = deferredCleanups(afterEach);

const server = "export default class { onRequest() { return new Response(String(FOO)); } }\n";

describe("a bad define", () => {
  it("in the config exits 2 naming define.FOO, its value and what esbuild takes", async () => {
    const dir = await projectWith(defer, { "server.js": server, "yparty.json": JSON.stringify({ main: "server.js", define: { FOO: "1 +* 2", OK: "1" } }) });
    const result = await runCli(["dev", "--port", "0"], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`Invalid config file ${dir}/yparty.json:\n  define.FOO: esbuild cannot put "1 +* 2" in the code:`);
    expect(result.stderr).toContain("a JSON value");
    expect(result.stderr).not.toContain("define.OK");
  });

  it("on the command line exits 2 naming --define and the key", async () => {
    const dir = await projectWith(defer, { "server.js": server });
    const result = await runCli(["start", "server.js", "--port", "0", "--no-persist", "--define", "FOO=(", "bad-key=1"], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Invalid command line:\n  --define FOO: esbuild cannot put "(" in the code:');
    expect(result.stderr).toContain("--define bad-key: esbuild cannot replace the name");
  });

  it("in a project without code of its own (every room a Yjs document) exits 2 all the same, as docs/cli.md says", async () => {
    const dir = await projectWith(defer, { "yparty.json": JSON.stringify({ define: { MODE: "@@" } }) });
    // Before: nothing was built, so nothing was checked, and the server started with the mistake unsaid.
    const result = await runCli(["start", "--port", "0", "--no-persist", "--define", "FOO=("], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("define.MODE: esbuild cannot put");
    expect(result.stderr).toContain('--define FOO: esbuild cannot put "(" in the code:');
  });
});
