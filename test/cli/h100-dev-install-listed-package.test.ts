/**
 * `yparty dev` whose build failed for a package not installed ("Install it: run `npm install nanoid`") rebuilt when
 * package.json changed, and only then: when package.json listed the package already (a fresh clone, a dependency
 * added by hand), `npm install` leaves package.json as it was, and dev kept serving the last good build until some
 * other file was saved. It now watches what an install changes in node_modules too: the package's folder appearing,
 * the install record npm writes last (node_modules/.package-lock.json).
 */
import { afterEach, describe, expect, it } from "vitest";
import { deferredCleanups, projectWith, serveIn, writeFiles } from "./helpers.js";

const defer = deferredCleanups(afterEach);

// Build errors go to stderr, the log (dev.reloaded: none before the install here) to stdout: marks are per stream.

const server = (head: string) =>
  `${head}\nexport default class Server {\n  constructor(room) { this.room = room; }\n  onRequest() { return new Response(String(used)); }\n}\n`;

const PACKAGE_JSON = JSON.stringify({ name: "h100-listed", version: "1.0.0", type: "module", exports: "./index.js" });
const PACKAGE_INDEX = 'export default "installed";\n';
/** npm's record of the install (node_modules/.package-lock.json), written last: of h100-listed and `others`. */
const installRecord = (...others: string[]) =>
  JSON.stringify({
    name: "app",
    lockfileVersion: 3,
    packages: Object.fromEntries(["h100-listed", ...others].map((name) => [`node_modules/${name}`, { version: "1.0.0" }])),
  });

/** `yparty dev` on a project of `files` (package.json lists h100-listed), whose next save imports it: the build fails. */
async function devMissingThePackage(files: Record<string, string>) {
  const dir = await projectWith(defer, {
    "package.json": JSON.stringify({ name: "app", private: true, dependencies: { "h100-listed": "^1.0.0" } }),
    "yparty.json": JSON.stringify({ main: "src/server.js" }),
    "src/server.js": server("const used = 'before';"),
    ...files,
  });
  const { cli, url } = await serveIn(defer, "dev", dir);
  const stderrMark = cli.stderr.length;
  await writeFiles(dir, { "src/server.js": server('import used from "h100-listed";') });
  await cli.waitFor(/Install it: run `npm install h100-listed`\./, 15_000, stderrMark, "stderr");
  return { dir, cli, url, stderrMark };
}

describe("yparty dev after a build failed for a package not installed", () => {
  it("rebuilds once npm installs a package that package.json lists already", async () => {
    const { dir, cli, url } = await devMissingThePackage({
      "package.json": JSON.stringify({ name: "app", private: true, dependencies: { "h100-listed": "^1.0.0", "h100-other": "^1.0.0" } }),
      // An earlier install: another package, and npm's record of it.
      "node_modules/h100-other/package.json": JSON.stringify({ name: "h100-other", version: "1.0.0" }),
      "node_modules/.package-lock.json": JSON.stringify({ name: "app", lockfileVersion: 3, packages: { "node_modules/h100-other": { version: "1.0.0" } } }),
    });
    expect(await (await fetch(`${url}/parties/main/r`)).text()).toBe("before");
    // What npm install does for a listed package: its folder in node_modules, then the record; package.json untouched.
    await writeFiles(dir, {
      "node_modules/h100-listed/package.json": PACKAGE_JSON,
      "node_modules/h100-listed/index.js": PACKAGE_INDEX,
      "node_modules/.package-lock.json": installRecord("h100-other"),
    });
    await cli.waitFor(/dev\.reloaded/, 15_000, 0, "stdout");
    expect(await (await fetch(`${url}/parties/main/r`)).text()).toBe("installed");
  });

  it("rebuilds once the first npm install makes node_modules", async () => {
    const { dir, cli, url } = await devMissingThePackage({});
    await writeFiles(dir, {
      "node_modules/h100-listed/package.json": PACKAGE_JSON,
      "node_modules/h100-listed/index.js": PACKAGE_INDEX,
      "node_modules/.package-lock.json": installRecord(),
    });
    await cli.waitFor(/dev\.reloaded/, 15_000, 0, "stdout");
    expect(await (await fetch(`${url}/parties/main/r`)).text()).toBe("installed");
  });

  it("rebuilds again when the install that was still writing the package's files ends", async () => {
    const { dir, cli, url, stderrMark } = await devMissingThePackage({});
    // The package's folder as npm starts writing it: a rebuild then fails (the package is there, not whole).
    await writeFiles(dir, { "node_modules/h100-listed/package.json": PACKAGE_JSON });
    await cli.waitFor(/The module "\.\/index\.js" was not found/, 15_000, stderrMark, "stderr");
    // The rest, and the record npm writes last.
    await writeFiles(dir, { "node_modules/h100-listed/index.js": PACKAGE_INDEX, "node_modules/.package-lock.json": installRecord() });
    await cli.waitFor(/dev\.reloaded/, 15_000, 0, "stdout");
    expect(await (await fetch(`${url}/parties/main/r`)).text()).toBe("installed");
  });
});
