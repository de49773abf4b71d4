/**
 * A party file (or the client entry) that imports an npm package nobody installed failed to build with esbuild's
 * `You can mark the path "x" as external to exclude it from the bundle…`: advice for a library's author, whose
 * result fails when the server runs. The error now says the package is not installed and the `npm install` to run,
 * keeping its file:line. A package that is installed but does not resolve keeps esbuild's own reason.
 */
import { afterEach, describe, expect, it } from "vitest";
import { deferredCleanups, projectWith, runCli, serveIn, writeFiles } from "./helpers.js";

const defer = deferredCleanups(afterEach);

const server = (imports: string) =>
  `${imports}\nexport default class Server {\n  constructor(room) { this.room = room; }\n  onRequest() { return new Response(String(used)); }\n}\n`;

describe("an import of a package that is not installed", () => {
  it("tells the party file's author to npm install it, at the import's file:line", async () => {
    const dir = await projectWith(defer, {
      "package.json": JSON.stringify({ name: "app", private: true }),
      "yparty.json": JSON.stringify({ main: "src/server.js" }),
      "src/server.js": server('import confetti from "h90-not-installed";\nimport { x } from "@h90/absent/deep/path.js";\nconst used = [confetti, x];'),
    });
    const result = await runCli(["start", "--port", "0"], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Could not resolve "h90-not-installed": the package "h90-not-installed" is not installed');
    expect(result.stderr).toContain("src/server.js:1:21");
    expect(result.stderr).toContain("Install it: run `npm install h90-not-installed`.");
    expect(result.stderr).toContain('the package "@h90/absent" is not installed');
    expect(result.stderr).toContain("src/server.js:2:18");
    expect(result.stderr).toContain("run `npm install @h90/absent`.");
    expect(result.stderr).not.toContain("as external");
  });

  it("names the folder to install in when it is not the one the command runs in", async () => {
    const dir = await projectWith(defer, {
      "app/package.json": JSON.stringify({ name: "app", private: true }),
      "app/yparty.json": JSON.stringify({ main: "src/server.js" }),
      "app/src/server.js": server('import used from "h90-not-installed";'),
    });
    const result = await runCli(["start", "--port", "0", "--config", "app/yparty.json"], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`run \`npm install h90-not-installed\` in ${dir}/app.`);
  });

  it("says the same of the client entry (serve.build)", async () => {
    const dir = await projectWith(defer, {
      "package.json": JSON.stringify({ name: "app", private: true }),
      "yparty.json": JSON.stringify({ serve: { path: "public", build: { entry: "src/page.js", outdir: "public/build" } } }),
      "public/index.html": "<!doctype html>",
      "src/page.js": 'import confetti from "h90-not-installed";\nconfetti();\n',
    });
    const result = await runCli(["start", "--port", "0"], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('the package "h90-not-installed" is not installed');
    expect(result.stderr).toContain("src/page.js:1:21");
    expect(result.stderr).toContain("run `npm install h90-not-installed`.");
    expect(result.stderr).not.toContain("as external");
  });

  it("keeps esbuild's reason for an installed package that does not resolve", async () => {
    const dir = await projectWith(defer, {
      "package.json": JSON.stringify({ name: "app", private: true }),
      "node_modules/h90-installed/package.json": JSON.stringify({ name: "h90-installed", exports: { ".": "./index.js" } }),
      "node_modules/h90-installed/index.js": "export default 1;\n",
      "yparty.json": JSON.stringify({ main: "src/server.js" }),
      "src/server.js": server('import used from "h90-installed/hidden";'),
    });
    const result = await runCli(["start", "--port", "0"], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Could not resolve "h90-installed/hidden"');
    expect(result.stderr).toContain("is not exported by package");
    expect(result.stderr).not.toContain("npm install");
  });

  it("yparty dev rebuilds once npm install writes the package.json", async () => {
    const dir = await projectWith(defer, {
      "package.json": JSON.stringify({ name: "app", private: true }),
      "yparty.json": JSON.stringify({ main: "src/server.js" }),
      "src/server.js": server("const used = 'before';"),
    });
    const { cli, url } = await serveIn(defer, "dev", dir);
    const mark = cli.output.length;
    await writeFiles(dir, { "src/server.js": server('import used from "h90-late";') });
    await cli.waitFor(/Install it: run `npm install h90-late`\./, 15_000, mark);
    // What npm install does: the package in node_modules, then the dependency written to package.json.
    await writeFiles(dir, {
      "node_modules/h90-late/package.json": JSON.stringify({ name: "h90-late", type: "module", exports: "./index.js" }),
      "node_modules/h90-late/index.js": 'export default "installed";\n',
    });
    await writeFiles(dir, { "package.json": JSON.stringify({ name: "app", private: true, dependencies: { "h90-late": "^1.0.0" } }) });
    await cli.waitFor(/dev\.reloaded/, 15_000, mark);
    expect(await (await fetch(`${url}/parties/main/r`)).text()).toBe("installed");
  });
});
