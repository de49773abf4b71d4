/**
 * `yparty dev` builds the page (serve.build) once at start: it built it twice (a rebuild, then the watcher's own first
 * build), so a start took two client builds and a broken client printed its errors twice.
 */
import { afterEach, describe, expect, it } from "vitest";
import { deferredCleanups, projectWith, serveIn, writeFiles } from "./helpers.js";

const defer = deferredCleanups(afterEach);

describe("yparty dev's client build", () => {
  it("reports a failed first build once, and builds the page when the missing file appears", async () => {
    const dir = await projectWith(defer, {
      "partykit.json": JSON.stringify({ name: "page", main: "src/server.ts", serve: { path: "public", build: "src/client.ts" } }),
      "src/server.ts": "export default class { onRequest() { return new Response('ok'); } }\n",
      "src/client.ts": 'import { greeting } from "./greeting";\ndocument.body.textContent = greeting;\n',
      "public/index.html": '<script type="module" src="/dist/client.js"></script>\n',
    });
    const { cli, url } = await serveIn(defer, "dev", dir);
    await cli.waitFor(/Client build failed[\s\S]*Could not resolve "\.\/greeting"/);

    await writeFiles(dir, { "src/greeting.ts": 'export const greeting = "hello";\n' });
    await expect.poll(async () => (await fetch(`${url}/dist/client.js`)).status, { timeout: 15_000 }).toBe(200);
    expect(await (await fetch(`${url}/dist/client.js`)).text()).toContain("hello");
    expect(cli.stderr.match(/Client build failed/g)).toHaveLength(1);
  });
});
