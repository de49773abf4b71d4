/**
 * A PartyKit user types PartyKit's words from habit: `npx yparty deploy`, `yparty login`, a script's
 * `partykit dev --https`. They were refused with "Unknown command" / "Unknown option" and nothing else, leaving the
 * user to guess whether yparty names it otherwise. Each now says why it is not there and what to do instead
 * (src/cli/partykit-words.ts); still a usage error (exit 2), one line, no stack.
 */
import { describe, expect, it } from "vitest";
import { runCli } from "./helpers.js";

describe("PartyKit's commands and flags that yparty does not take say what to do instead", () => {
  const cases: Array<[string[], RegExp]> = [
    [["deploy"], /"deploy" is PartyKit's hosted-platform command: .*Start it there with "yparty start"/],
    [["login"], /"login" is PartyKit's hosted-platform command: .*no account/],
    [["env", "add", "KEY"], /"env" is PartyKit's hosted-platform command: .*\.env, "vars" in the config, or --var KEY=VALUE/],
    [["init"], /"init" is PartyKit's hosted-platform command: .*yparty dev/],
    [["dev", "--https"], /yparty dev: --https is not supported: yparty serves plain HTTP: terminate TLS in a reverse proxy .*--trust-proxy/],
    [["start", "--https-key-path", "key.pem"], /yparty start: --https-key-path is not supported: yparty serves plain HTTP/],
    [["dev", "--https-cert-path=cert.pem"], /yparty dev: --https-cert-path is not supported/],
  ];
  it.each(cases)("yparty %j", async (args, message) => {
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toContain("Unknown");
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("a word of no CLI still gets the plain answer", async () => {
    const result = await runCli(["frobnicate"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Unknown command "frobnicate"\./);
  });
});
