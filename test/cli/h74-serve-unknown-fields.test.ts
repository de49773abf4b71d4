/**
 * PartyKit's config schema strips unknown fields of `serve` and `serve.build` (only the top level and `build` are
 * strict): PartyKit's cursor-party has `"serve": { …, "minify": true }`, which yparty refused (exit 2, "serve.minify:
 * unknown field"). They are ignored with a note; a wrong type in a known field and an unknown top-level field are
 * still refused.
 */
import { afterEach, describe, expect, it } from "vitest";
import { deferredCleanups, projectWith, runCli, serveIn } from "./helpers.js";

const defer = deferredCleanups(afterEach);

const files = (serve: unknown) => ({
  "server.js": "export default class { onRequest() { return new Response('party'); } }\n",
  "public/index.html": "<h1>home</h1>\n",
  "src/page.js": "document.body.append('built');\n",
  "partykit.json": JSON.stringify({ name: "loose-serve", main: "server.js", serve }),
});

describe("unknown fields of serve", () => {
  it("are ignored with a note, as PartyKit does: the project serves its files and its built page", async () => {
    const dir = await projectWith(
      defer,
      files({ path: "public", minify: true, singlePageApp: true, build: { entry: "src/page.js", format: "iife", splitting: false, target: "es2020" } }),
    );
    const { cli, url } = await serveIn(defer, "dev", dir);
    expect(await (await fetch(`${url}/`)).text()).toContain("home");
    expect(await (await fetch(`${url}/dist/page.js`)).text()).toContain("built");
    expect(await (await fetch(`${url}/parties/main/r`)).text()).toBe("party");
    expect(cli.output).toContain("Ignoring unknown fields in");
    expect(cli.output).toContain("serve.minify, serve.build.target");
  });

  it("still refuses a wrong type in a known serve field (unknown top-level fields: usage.test.ts)", async () => {
    const dir = await projectWith(defer, files({ path: "public", singlePageApp: "yes", minify: true }));
    const wrongType = await runCli(["dev"], { cwd: dir });
    expect(wrongType.code).toBe(2);
    expect(wrongType.stderr).toMatch(/serve\.singlePageApp: expected a boolean/);
    expect(wrongType.stderr).not.toContain("serve.minify");
  });
});
