/**
 * PartyKit's `basic` example (legacy object API), run unchanged: `onFetch` serves `/another` through
 * `lobby.assets.fetch`, and a path nothing serves gets the assets' `404.html`, as on PartyKit.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { staticFiles } from "../../src/cli/static.js";
import Basic from "./fixtures/partykit-basic.js";
import { cleanupAll, startServer } from "../helpers/server.js";

afterEach(cleanupAll);

describe("the basic example: onFetch serves static assets through lobby.assets", () => {
  let publicDir: string;
  beforeAll(async () => {
    publicDir = await mkdtemp(join(tmpdir(), "yparty-assets-"));
    await writeFile(join(publicDir, "another.html"), "<h1>another page</h1>");
    await writeFile(join(publicDir, "404.html"), "<h1>lost?</h1>");
  });
  afterAll(() => rm(publicDir, { recursive: true, force: true }));

  it("answers /another from the assets, a missing asset as null, and unknown paths with 404.html", async () => {
    const { url } = await startServer({ main: Basic }, { storage: "memory", assets: staticFiles({ root: publicDir }) });
    const another = await fetch(`${url}/another`);
    expect([another.status, another.headers.get("content-type"), await another.text()]).toEqual([200, "text/html; charset=utf-8", "<h1>another page</h1>"]);
    expect(await (await fetch(`${url}/another.html`)).text()).toBe("<h1>another page</h1>");
    const missing = await fetch(`${url}/missing-asset`);
    expect([missing.status, await missing.text()]).toEqual([410, "no such asset"]);
    const lost = await fetch(`${url}/no/such/page`);
    expect([lost.status, await lost.text()]).toEqual([404, "<h1>lost?</h1>"]);
  });

  it("gives null from lobby.assets.fetch without assets, so /another is the JSON 404", async () => {
    const { url } = await startServer({ main: Basic }, { storage: "memory" });
    const another = await fetch(`${url}/another`);
    expect(another.status).toBe(404);
    expect(await another.json()).toMatchObject({ error: { code: "ERR_NOT_FOUND" } });
  });
});
