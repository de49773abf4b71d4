/**
 * `npm start` after a `git pull`: the prestart script (scripts/build-if-stale.mjs) builds when a source is newer
 * than dist/, and only then. Run through npm itself, in a project shaped like this repository (tsconfig.build.json's
 * folders, a build that writes dist/server/cli.js) whose build and start only say that they ran.
 */
import { spawn } from "node:child_process";
import { readFile, symlink, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { deferredCleanups, projectWith, repoRoot } from "./helpers.js";

const defer = deferredCleanups(afterEach);

function npmStart(cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("npm", ["start", "--silent"], { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const project = {
  "package.json": JSON.stringify({
    name: "stale-dist-project",
    private: true,
    type: "module",
    scripts: {
      build: "node build.mjs",
      prestart: `node ${JSON.stringify(path.join(repoRoot, "scripts", "build-if-stale.mjs"))}`,
      start: "node dist/server/cli.js",
    },
  }),
  "tsconfig.build.json": JSON.stringify({ include: ["src", "persistence"] }),
  "src/main.ts": "export const version = 1;\n",
  "persistence/store.ts": "export const store = 1;\n",
  // The "build" copies the source's version into dist/, so a start shows which build it ran.
  "build.mjs": `import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
const version = /version = (\\d+)/.exec(readFileSync("src/main.ts", "utf8"))[1];
mkdirSync("dist/server", { recursive: true });
writeFileSync("dist/server/cli.js", "console.log('running build ' + " + JSON.stringify(version) + ");\\n");
console.log("built");
`,
};

describe("npm start rebuilds a stale dist/", () => {
  it("builds when dist/ is missing, not again while nothing changed, and again once a source is newer", async () => {
    const dir = await projectWith(defer, project, "yparty-stale-dist-");

    const first = await npmStart(dir);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain("dist/ is missing: building (npm run build)");
    expect(first.stdout).toContain("built");
    expect(first.stdout).toContain("running build 1");

    const second = await npmStart(dir);
    expect(second.code).toBe(0);
    expect(second.stdout).not.toContain("built");
    expect(second.stderr).not.toContain("building");
    expect(second.stdout).toContain("running build 1");

    // What a pull does: a source changes after the build (its time set ahead, so the clock's grain cannot hide it).
    const source = path.join(dir, "src", "main.ts");
    await writeFile(source, "export const version = 2;\n");
    const later = new Date(Date.now() + 10_000);
    await utimes(source, later, later);
    const third = await npmStart(dir);
    expect(third.code).toBe(0);
    expect(third.stderr).toContain("the sources changed since the last build: building");
    expect(third.stdout).toContain("running build 2");

    // Every folder tsconfig.build.json includes counts.
    const nested = path.join(dir, "persistence", "store.ts");
    const evenLater = new Date(Date.now() + 20_000);
    await utimes(nested, evenLater, evenLater);
    const fourth = await npmStart(dir);
    expect(fourth.stderr).toContain("building");
  });

  it("stops with the build's exit code and says what to do when the build fails", async () => {
    const dir = await projectWith(defer, { ...project, "build.mjs": "console.error('tsc: error TS2307'); process.exit(2);\n" }, "yparty-stale-dist-");
    const result = await npmStart(dir);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("the build failed (above)");
    expect(result.stdout).not.toContain("running build");
  });

  it("says to run npm install when package-lock.json is newer than the installed tree", async () => {
    const dir = await projectWith(defer, { ...project, "node_modules/.package-lock.json": "{}", "package-lock.json": "{}" }, "yparty-stale-dist-");
    const later = new Date(Date.now() + 10_000);
    await utimes(path.join(dir, "package-lock.json"), later, later);
    const result = await npmStart(dir);
    expect(result.stderr).toContain("package-lock.json is newer than node_modules: run `npm install`");
    await utimes(path.join(dir, "node_modules", ".package-lock.json"), later, new Date(Date.now() + 20_000));
    expect((await npmStart(dir)).stderr).not.toContain("npm install");
  });

  it("is what this repository's npm start runs first", async () => {
    const scripts = JSON.parse(await readFile(path.join(repoRoot, "package.json"), "utf8")).scripts as Record<string, string>;
    expect(scripts.prestart).toBe("node scripts/build-if-stale.mjs");
  });
});

describe("npm start's staleness check, on sources laid out otherwise (h94)", () => {
  /** Sets `file`'s times ahead, as a pull's checkout does, so that the clock's grain cannot hide the change. */
  const touchLater = (file: string, ms: number) => utimes(file, new Date(Date.now() + ms), new Date(Date.now() + ms));

  it("reads a tsconfig.build.json with comments and a trailing comma, as tsc does (it stopped on a SyntaxError)", async () => {
    const config = '{\n  // the folders the build compiles\n  "include": ["src", "persistence",],\n}\n';
    const dir = await projectWith(defer, { ...project, "tsconfig.build.json": config }, "yparty-stale-dist-");
    expect((await npmStart(dir)).stdout).toContain("running build 1");
    const fresh = await npmStart(dir);
    expect(fresh.code).toBe(0);
    expect(fresh.stderr).not.toContain("building");
    await touchLater(path.join(dir, "persistence", "store.ts"), 10_000);
    const stale = await npmStart(dir);
    expect(stale.stderr).toContain("the sources changed since the last build: building");
  });

  it("builds, naming the file, when tsconfig.build.json cannot be read at all (it stopped on a stack trace)", async () => {
    const dir = await projectWith(defer, project, "yparty-stale-dist-");
    expect((await npmStart(dir)).code).toBe(0);
    await writeFile(path.join(dir, "tsconfig.build.json"), '{ "include": [ "src" ');
    const result = await npmStart(dir);
    expect(result.stderr).toContain("tsconfig.build.json cannot be read");
    expect(result.stderr).toContain("building (npm run build)");
    expect(result.stderr).not.toContain("    at ");
    expect(result.stdout).toContain("running build 1");
  });

  it("follows symbolic links to a source file or folder, as tsc does (an edit behind one went unnoticed)", async () => {
    const dir = await projectWith(
      defer,
      { ...project, "shared/util.ts": "export const util = 1;\n", "elsewhere/lib/deep.ts": "export const deep = 1;\n" },
      "yparty-stale-dist-",
    );
    await symlink(path.join(dir, "shared", "util.ts"), path.join(dir, "src", "util.ts"));
    await symlink(path.join(dir, "elsewhere", "lib"), path.join(dir, "src", "lib"));
    await symlink(path.join(dir, "src"), path.join(dir, "src", "loop")); // a link back up is walked once
    expect((await npmStart(dir)).stdout).toContain("running build 1");
    expect((await npmStart(dir)).stderr).not.toContain("building");
    await touchLater(path.join(dir, "shared", "util.ts"), 10_000);
    expect((await npmStart(dir)).stderr).toContain("the sources changed since the last build: building");
    await touchLater(path.join(dir, "elsewhere", "lib", "deep.ts"), 20_000);
    expect((await npmStart(dir)).stderr).toContain("the sources changed since the last build: building");
  });
});
