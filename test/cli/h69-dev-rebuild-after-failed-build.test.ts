/**
 * `yparty dev` after a failed build whose error is in a file of a folder the last good build did not read: fixing
 * that file rebuilds (the failed build's files are watched too), and the fixed code serves.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { deferredCleanups, projectWith, serveIn, writeFiles } from "./helpers.js";

const defer = deferredCleanups(afterEach);

const serverSaying = (source: string) => `${source}\nexport default class { onRequest() { return new Response(greeting); } }\n`;

describe("yparty dev after a failed build", () => {
  it("rebuilds when the broken file, in a folder no good build read, is fixed", async () => {
    const dir = await projectWith(defer, { "src/server.ts": serverSaying('const greeting = "v1";') });
    const { cli, url } = await serveIn(defer, "dev", dir, ["src/server.ts"]);
    expect(await (await fetch(`${url}/parties/main/r`)).text()).toBe("v1");

    // A new module in a new folder, broken, and the import of it: the build fails in lib/greeting.ts.
    await writeFiles(dir, { "lib/greeting.ts": 'export const greeting = "v2" +;\n' });
    await writeFile(path.join(dir, "src/server.ts"), serverSaying('import { greeting } from "../lib/greeting";'));
    await cli.waitFor(/Still serving the last good build\.[\s\S]*lib\/greeting\.ts/, 15_000);

    const mark = cli.stdout.length;
    await writeFile(path.join(dir, "lib/greeting.ts"), 'export const greeting = "v2";\n');
    await cli.waitFor(/dev\.reloaded/, 15_000, mark, "stdout");
    expect(await (await fetch(`${url}/parties/main/r`)).text()).toBe("v2");
  });

  it("rebuilds when the file of a failing import appears in a folder that did not exist", async () => {
    const dir = await projectWith(defer, { "src/server.ts": serverSaying('const greeting = "v1";') });
    const { cli, url } = await serveIn(defer, "dev", dir, ["src/server.ts"]);
    expect(await (await fetch(`${url}/parties/main/r`)).text()).toBe("v1");

    await writeFile(path.join(dir, "src/server.ts"), serverSaying('import { greeting } from "../lib/deep/greeting";'));
    await cli.waitFor(/Still serving the last good build\.[\s\S]*Could not resolve "\.\.\/lib\/deep\/greeting"/, 15_000);

    const mark = cli.stdout.length;
    await writeFiles(dir, { "lib/deep/greeting.ts": 'export const greeting = "v2";\n' });
    await cli.waitFor(/dev\.reloaded/, 15_000, mark, "stdout");
    expect(await (await fetch(`${url}/parties/main/r`)).text()).toBe("v2");
  });
});
