/**
 * A mistyped flag or command named what was wrong but not what was meant (`yparty start --prot 3000` →
 * "Unknown option '--prot'"), so a newcomer had to go through `--help`. As npm and git do, the message now
 * names the close one; a word close to nothing gets no guess. Exit 2, no stack, as for every usage mistake.
 */
import { afterEach, describe, expect, it } from "vitest";
import { deferredCleanups, projectWith, runCli } from "./helpers.js";

const defer = deferredCleanups(afterEach);

describe("a mistyped flag or command suggests the close one", () => {
  const cases: Array<[string[], RegExp]> = [
    [["start", "--prot", "3000"], /Unknown option '--prot'\. Did you mean --port\?/],
    [["start", "--prot=3000"], /Unknown option '--prot'\. Did you mean --port\?/],
    [["dev", "--persit", "data"], /Unknown option '--persit'\. Did you mean --persist\?/],
    [["dev", "--no-persits"], /Unknown option '--no-persits'\. Did you mean --no-persist\?/],
    [["strat"], /Unknown command "strat"\. Did you mean "start"\?/],
    [["help", "dve"], /Unknown command "dve"\. Did you mean "dev"\?/],
    [["--verison"], /Unknown option "--verison" before the command\. Did you mean --version\?/],
  ];
  it.each(cases)("yparty %j", async (args, message) => {
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  // A message that names its command already was printed "yparty: yparty start: Unknown option …".
  it.each([["start", "--prot"], ["delete"], ["migrate"]])("names yparty once: yparty %s", async (...args) => {
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^yparty /);
    expect(result.stderr).not.toContain("yparty: yparty");
  });

  // A config field: "mian: unknown field (expected one of: $schema, name, main, …34 names)".
  it("a mistyped config field names the close one", async () => {
    const dir = await projectWith(defer, { "yparty.json": JSON.stringify({ mian: "server.ts", parties: { chat: "chat.ts" }, limts: {} }) });
    const result = await runCli(["start", "--no-persist", "--port", "0"], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('mian: unknown field; did you mean "main"?');
    expect(result.stderr).toContain('limts: unknown field; did you mean "limits"?');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("guesses nothing for a word close to no flag", async () => {
    const result = await runCli(["dev", "--bogus"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Unknown option '--bogus'\.\n/);
    expect(result.stderr).not.toContain("Did you mean");
  });
});
