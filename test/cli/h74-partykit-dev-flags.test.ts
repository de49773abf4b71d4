/**
 * PartyKit projects' scripts pass `partykit dev` flags: `"dev": "partykit dev --live"` (joshnuss/partykit-hibernating-
 * counter) exited 2 with `Unknown option '--live'` once `partykit` became `yparty`. Those with no meaning here are
 * taken and named in a note; `--minify` minifies; a bare `--persist` (PartyKit's `--persist [path]`) persists as always.
 */
import { afterEach, describe, expect, it } from "vitest";
import { deferredCleanups, projectWith, runCli, serveIn } from "./helpers.js";

const defer = deferredCleanups(afterEach);

// The server answers with its own source: minified, the local's name is gone.
const server = `export default class {
  onRequest() {
    const someLongLocalName = "kept";
    return new Response(String(() => someLongLocalName));
  }
}
`;
const config = JSON.stringify({ name: "flags", main: "server.js" });

describe("partykit dev's flags", () => {
  it("takes --live, --verbose, --no-hotkeys and workerd's settings, ignoring them with a note", async () => {
    const dir = await projectWith(defer, { "server.js": server, "partykit.json": config });
    const flags = [
      "--live",
      "--verbose",
      "--no-hotkeys",
      "--disable-request-cf-fetch",
      "--compatibility-date",
      "2024-01-01",
      "--compatibility-flags",
      "nodejs_compat",
      "--unstable_outdir",
      "out",
      "--persist",
    ];
    const { cli, url } = await serveIn(defer, "dev", dir, flags);
    expect(await (await fetch(`${url}/parties/main/r`)).text()).toContain("someLongLocalName");
    expect(cli.output).toContain(
      "Ignoring PartyKit dev flags with no meaning here: --live, --verbose, --no-hotkeys, --disable-request-cf-fetch, --compatibility-date, --compatibility-flags, --unstable_outdir",
    );
    expect(cli.output).toContain("data     .yparty");
  });

  it("minifies the server bundle with --minify", async () => {
    const dir = await projectWith(defer, { "server.js": server, "partykit.json": config });
    const { url } = await serveIn(defer, "start", dir, ["--minify"]);
    const source = await (await fetch(`${url}/parties/main/r`)).text();
    expect(source).not.toContain("someLongLocalName");
  });

  it("says --minify and --with-env change nothing in a project without server code of its own", async () => {
    const dir = await projectWith(defer, { "partykit.json": JSON.stringify({ name: "docs-only" }), ".env": "SECRET=1\n" });
    const { cli } = await serveIn(defer, "start", dir, ["--minify", "--with-env"]);
    expect(cli.output).toContain("Ignoring --minify, --with-env: this project has no server code of its own to bundle (its rooms are Yjs documents)");
  });

  it("leaves the HTTPS flags refused (yparty serves plain HTTP), and them out of --help", async () => {
    const dir = await projectWith(defer, { "server.js": server, "partykit.json": config });
    const refused = await runCli(["dev", "--https"], { cwd: dir });
    expect(refused.code).toBe(2);
    // Refused with what to do instead (h141: a TLS proxy in front, and --trust-proxy).
    expect(refused.stderr).toContain("--https is not supported: yparty serves plain HTTP");
    expect(refused.stderr).toContain("--trust-proxy");
    const help = await runCli(["dev", "--help"], { cwd: dir });
    expect(help.stdout).toContain("--minify");
    expect(help.stdout).not.toMatch(/^\s+--live/m);
    expect(help.stdout).not.toMatch(/^\s+--https/m);
  });
});
