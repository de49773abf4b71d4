/**
 * yparty as another project sees it. First as `npm install <path to this repo>` does it (npm links the folder
 * into node_modules): every subpath export imports in plain Node, its types resolve for a strict NodeNext
 * TypeScript project, and the `yparty` binary runs. Then as it ships: `npm pack`, the tarball installed into an
 * empty folder with npm (from the npm cache where it can), and `yparty dev` run there on a PartyKit project's
 * TypeScript server; and what the tarball holds: everything the exports need, every module dist/ imports
 * declared as a dependency, never a data folder, an admin file or a token, even when the working tree has them.
 */
import { execFile } from "node:child_process";
import http from "node:http";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { builtinModules, createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import * as esbuild from "esbuild";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { SERVER_ENTRIES } from "../../scripts/bundle-server.mjs";
import { CliProcess, deferredCleanups, repoRoot, tempDir } from "../cli/helpers.js";
import { launchChromium } from "../provider/browser-harness.js";
import { listen } from "../provider/support.js";
import { destroyProviders, makeProvider, until, whenSynced } from "../yjs/support/providers.js";

const run = promisify(execFile);

/**
 * `tsc` on a strict NodeNext project in `dir` (its tsconfig.json written here) of one file, `source`; the exit code
 * and what tsc printed.
 */
async function typeCheck(dir: string, options: { skipLibCheck: boolean; types: string[] }, source: string): Promise<{ code: number; stdout: string }> {
  const compilerOptions = {
    strict: true,
    module: "NodeNext",
    moduleResolution: "NodeNext",
    target: "ES2022",
    lib: ["ES2023", "DOM"],
    noEmit: true,
    ...options,
  };
  await writeFile(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions, files: ["typed-app.ts"] }));
  await writeFile(path.join(dir, "typed-app.ts"), source);
  const tsc = path.join(repoRoot, "node_modules", "typescript", "bin", "tsc");
  return run(process.execPath, [tsc, "-p", dir], { cwd: dir }).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
  );
}
const defer = deferredCleanups(afterEach);
let consumer: string;

beforeAll(async () => {
  consumer = await mkdtemp(path.join(os.tmpdir(), "yparty-consumer-"));
  await writeFile(path.join(consumer, "package.json"), JSON.stringify({ name: "consumer", type: "module", private: true }));
  await mkdir(path.join(consumer, "node_modules"));
  await symlink(repoRoot, path.join(consumer, "node_modules", "yparty"), "dir");
});

afterAll(async () => {
  if (consumer) await rm(consumer, { recursive: true, force: true });
});

describe("the installed package", () => {
  it("imports every subpath export in plain Node", async () => {
    const script = `
      const server = await import("yparty/server");
      const yjs = await import("yparty/yjs");
      const provider = await import("yparty/provider");
      const persistence = await import("yparty/persistence");
      console.log(JSON.stringify({
        createServer: typeof server.createServer,
        YServer: typeof yjs.YServer,
        onConnect: typeof yjs.onConnect,
        provider: typeof provider.default,
        openStorage: typeof persistence.openStorage,
      }));`;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { cwd: consumer });
    expect(JSON.parse(stdout)).toEqual({ createServer: "function", YServer: "function", onConnect: "function", provider: "function", openStorage: "function" });
  });

  it("type-checks a strict NodeNext project that uses the server, Yjs and provider exports", async () => {
    // The consumer has no yjs of its own: let it resolve yparty's, as a real install's dependency would.
    await symlink(path.join(repoRoot, "node_modules", "yjs"), path.join(consumer, "node_modules", "yjs"), "dir");
    const result = await typeCheck(
      consumer,
      { skipLibCheck: true, types: [] },
      `import { createServer } from "yparty/server";
       import type * as Party from "yparty/server";
       import { YServer } from "yparty/yjs";
       import YPartyKitProvider from "yparty/provider";
       import * as Y from "yjs";
       export class Notes extends YServer {
         override isReadOnly(conn: Party.Connection): boolean { return conn.id === "viewer"; }
       }
       export const server = createServer({ parties: { main: Notes }, port: 0 });
       export const provider: YPartyKitProvider = new YPartyKitProvider("localhost:1999", "room", new Y.Doc(), { connect: false });
       export const saved: number = provider.unsyncedChanges;
      `,
    );
    expect(result).toEqual({ code: 0, stdout: "" });
  }, 60_000);

  it("runs the yparty binary", async () => {
    const { stdout } = await run(process.execPath, [path.join(consumer, "node_modules", "yparty", "bin", "yparty.js"), "--version"], { cwd: consumer });
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

interface PackResult {
  filename: string;
  size: number;
  files: Array<{ path: string }>;
}

interface PackageJson {
  version: string;
  bin: Record<string, string>;
  exports: Record<string, string | Record<string, string>>;
  dependencies: Record<string, string>;
  peerDependencies?: Record<string, string>;
  files: string[];
}

/** `npm pack --json` in `dir` (scripts off: dist/ is already built); `dryRun` lists without writing. */
async function pack(dir: string, destination: string, dryRun: boolean): Promise<PackResult> {
  const args = ["pack", "--json", "--ignore-scripts", "--pack-destination", destination, ...(dryRun ? ["--dry-run"] : [])];
  const { stdout } = await run("npm", args, { cwd: dir, maxBuffer: 16 * 1024 * 1024 });
  return (JSON.parse(stdout) as PackResult[])[0]!;
}

/** Paths a data folder leaves behind: the folder itself, the admin file, LevelDB's files. */
const dataFile = /(^|\/)(\.yparty\/|server\.json$|LOCK$|CURRENT$|LOG(\.old)?$|MANIFEST-\d+$|[^/]+\.(ldb|log)$)/;

/** The packages the demo's pages import besides yparty and Yjs (the editors and their bindings). */
const demoEditorPackages = [
  "@codemirror/lang-javascript",
  "@codemirror/state",
  "@codemirror/view",
  "@tiptap/core",
  "@tiptap/extension-collaboration",
  "@tiptap/extension-collaboration-caret",
  "@tiptap/extensions",
  "@tiptap/pm",
  "@tiptap/starter-kit",
  "@tiptap/y-tiptap",
  "codemirror",
  "y-codemirror.next",
];

const packageJson = JSON.parse(await readFile(path.join(repoRoot, "package.json"), "utf8")) as PackageJson;
let scratch: { dir: string; remove: () => Promise<void> };
let packed: PackResult;
let installed: string;
let installedPackage: string;

describe("the packed tarball, installed with npm into an empty folder", () => {
  beforeAll(async () => {
    scratch = await tempDir("yparty-tarball-");
    packed = await pack(repoRoot, scratch.dir, false);
    installed = path.join(scratch.dir, "installed");
    await mkdir(installed);
    await writeFile(path.join(installed, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
    // --prefer-offline: from the npm cache (filled by the repository's own install) where it can, else the registry.
    await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", path.join(scratch.dir, packed.filename)], { cwd: installed, timeout: 50_000 });
    installedPackage = path.join(installed, "node_modules", "yparty");
  }, 60_000);

  afterAll(() => scratch?.remove());
  afterEach(() => destroyProviders());

  it("holds the binary, every export's files and the docs, and no data folder, admin file or token", () => {
    const files = packed.files.map((file) => file.path);
    const exported = Object.values(packageJson.exports).flatMap((target) => (typeof target === "string" ? [target] : Object.values(target)));
    for (const target of [...exported, ...Object.values(packageJson.bin), "README.md", "docs/cli.md", "demo/yparty.json"]) {
      expect(files).toContain(target.replace(/^\.\//, ""));
    }
    expect(files.filter((file) => dataFile.test(file))).toEqual([]);
    expect(files.filter((file) => /^(test|bench|src|node_modules)\//.test(file))).toEqual([]);
  });

  it("never packs a data folder, even one left in the working tree under any packed folder", async () => {
    // A copy of the package with the traces a running demo leaves: npm decides from `files` alone.
    const tree = path.join(scratch.dir, "tree");
    const planted = [
      "demo/.yparty/server.json",
      "demo/.yparty/000005.ldb",
      "demo/.yparty/000003.log",
      "demo/.yparty/LOCK",
      "demo/data/server.json",
      "demo/data/CURRENT",
      "demo/data/MANIFEST-000002",
      "demo/data/LOG",
      "dist/.yparty/server.json",
      "docs/server.json",
      ".yparty/server.json",
      "demo/public/build/main.js",
    ];
    const kept = [
      "demo/yparty.json",
      "demo/server.ts",
      "demo/src/main.ts",
      "demo/public/index.html",
      "dist/src/cli/main.js",
      "docs/cli.md",
      "bin/yparty.js",
      "README.md",
    ];
    await mkdir(tree);
    await writeFile(path.join(tree, "package.json"), JSON.stringify(packageJson));
    for (const file of [...planted, ...kept]) {
      await mkdir(path.dirname(path.join(tree, file)), { recursive: true });
      await writeFile(path.join(tree, file), file.endsWith("server.json") ? '{"url":"http://127.0.0.1:1999","token":"secret-admin-token","pid":1}' : "x");
    }
    const listed = (await pack(tree, scratch.dir, true)).files.map((file) => file.path).sort();
    expect(listed).toEqual([...kept, "package.json"].sort());
  });

  it("its type declarations check in a strict project that does not skip them (skipLibCheck off)", async () => {
    // What a TypeScript user of the server exports has besides yparty and what it installed: Node's types.
    const project = installed;
    await mkdir(path.join(project, "node_modules", "@types"), { recursive: true });
    await symlink(path.join(repoRoot, "node_modules", "@types", "node"), path.join(project, "node_modules", "@types", "node"), "dir").catch(() => {});
    const result = await typeCheck(
      project,
      { skipLibCheck: false, types: ["node"] },
      `import { createServer } from "yparty/server";
       import type * as Party from "yparty/server";
       import { openStorage } from "yparty/persistence";
       import { YServer } from "yparty/yjs";
       export class Notes extends YServer {
         override isReadOnly(conn: Party.Connection): boolean { return conn.id === "viewer"; }
       }
       export const server = createServer({ parties: { main: Notes }, port: 0 });
       export const storage = openStorage({ url: "postgres://localhost/yparty" });
      `,
    );
    // Before: 11 errors TS7016 in node_modules/yparty/dist ("Could not find a declaration file for module 'ws'", 'pg'):
    // their types were devDependencies of yparty.
    expect(result).toEqual({ code: 0, stdout: "" });
  }, 60_000);

  it("declares every package that dist/ imports at run time, and each resolves from the installed package", async () => {
    // What runs: the server bundle's entries (the CLI the binary loads, the server exports), the other exports, and all
    // they import. One entry per file of dist/ (some 1,900) took 30 s on a loaded machine, each bundled on its own.
    const exported = Object.values(packageJson.exports).flatMap((target) => (typeof target === "string" ? [target] : Object.values(target)));
    const bundled = Object.keys(SERVER_ENTRIES).map((name) => `dist/server/${name}.js`);
    const entries = [...new Set([...bundled, ...exported.filter((file) => file.endsWith(".js"))])].map((file) => path.join(installedPackage, file));
    expect(entries.length).toBeGreaterThan(5);
    // esbuild reads the real import statements (type-only imports are already gone from dist/).
    const result = await esbuild.build({
      entryPoints: entries,
      bundle: true,
      write: false,
      outdir: path.join(scratch.dir, "scan"),
      absWorkingDir: installedPackage,
      platform: "node",
      format: "esm",
      packages: "external",
      metafile: true,
      logLevel: "silent",
    });
    // Every file of the server bundle shipped is one of them (an earlier build's chunks were packed beside them).
    const reached = new Set(Object.keys(result.metafile.inputs).map((input) => path.resolve(installedPackage, input)));
    const shippedChunks = packed.files.map((file) => file.path).filter((file) => /^dist\/server\/[^/]+\.js$/.test(file));
    expect(shippedChunks.filter((file) => !reached.has(path.join(installedPackage, file)))).toEqual([]);
    const specifiers = new Set(
      Object.values(result.metafile.inputs).flatMap((input) => input.imports.filter((entry) => entry.external).map((entry) => entry.path)),
    );
    const packages = [...specifiers]
      .filter((specifier) => !specifier.startsWith("node:") && !builtinModules.includes(specifier))
      .map((specifier) =>
        specifier
          .split("/")
          .slice(0, specifier.startsWith("@") ? 2 : 1)
          .join("/"),
      );
    const declared = { ...packageJson.dependencies, ...packageJson.peerDependencies };
    expect(packages.length).toBeGreaterThan(0);
    expect(packages.filter((name) => !(name in declared))).toEqual([]);
    // Peer dependencies (react) are the consumer's to install; everything else must be there after `npm install`.
    const requireFromPackage = createRequire(path.join(installedPackage, "package.json"));
    const missing = [...new Set(packages)]
      .filter((name) => !(name in (packageJson.peerDependencies ?? {})))
      .filter((name) => {
        try {
          requireFromPackage.resolve(`${name}/package.json`);
          return false;
        } catch {
          return true;
        }
      });
    expect(missing).toEqual([]);
  });

  it("runs `yparty dev` on a TypeScript server that imports partykit/server and y-partykit; providers sync through it", async () => {
    const project = installed;
    await mkdir(path.join(project, "src"), { recursive: true });
    await writeFile(
      path.join(project, "src", "server.ts"),
      `import type * as Party from "partykit/server";
import { onConnect } from "y-partykit";

export default class Editor implements Party.Server {
  constructor(readonly room: Party.Room) {}
  onConnect(conn: Party.Connection): void | Promise<void> {
    return onConnect(conn, this.room, { persist: { mode: "snapshot" } });
  }
  onRequest(): Response {
    return new Response(\`editor \${this.room.id} on \${process.version}\`);
  }
}
`,
    );
    const bin = path.join(project, "node_modules", ".bin", "yparty");
    const version = await run(bin, ["--version"], { cwd: project });
    expect(version.stdout.trim()).toBe(packageJson.version);

    const cli = new CliProcess(["dev", "src/server.ts", "--port", "0"], { cwd: project, bin });
    defer(() => cli.stop("SIGKILL"));
    const url = await cli.url();
    expect(await (await fetch(`${url}/parties/main/notes`)).text()).toBe(`editor notes on ${process.version}`);

    const writer = new Y.Doc();
    const writerProvider = makeProvider("y-partykit", url, "main", "notes", writer);
    await whenSynced(writerProvider, 10_000);
    writer.getText("body").insert(0, "from an installed yparty");
    const reader = new Y.Doc();
    makeProvider("y-partykit", url, "main", "notes", reader);
    await until(reader, (doc) => doc.getText("body").toString() === "from an installed yparty", "the second provider to see the text", 10_000);
    expect(await cli.stop("SIGINT")).toBe(0);
  });

  it("runs the demo it ships with `yparty start` once the demo's editor packages are installed; two pages sync and save", async () => {
    // The demo's editors are devDependencies here; a project running (or copying) the demo installs them.
    for (const name of demoEditorPackages) {
      await mkdir(path.dirname(path.join(installed, "node_modules", name)), { recursive: true });
      await symlink(path.join(repoRoot, "node_modules", name), path.join(installed, "node_modules", name), "dir").catch(() => {});
    }
    const data = await tempDir("yparty-installed-demo-");
    defer(data.remove);
    const bin = path.join(installed, "node_modules", ".bin", "yparty");
    const cli = new CliProcess(["start", "--config", "node_modules/yparty/demo/yparty.json", "--port", "0", "--persist", data.dir], { cwd: installed, bin });
    defer(() => cli.stop("SIGKILL"));
    const url = await cli.url();
    const browser = await launchChromium();
    defer(() => browser.close());
    const open = async () => {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      await page.goto(`${url}/?room=installed-demo`);
      await page.locator("#tiptap .ProseMirror").waitFor({ timeout: 20_000 });
      return { page, errors };
    };
    const [ada, alan] = [await open(), await open()];
    await ada.page.locator("#tiptap .ProseMirror").click();
    await ada.page.keyboard.type("typed in the installed demo");
    await alan.page.getByText("typed in the installed demo").waitFor({ timeout: 20_000 });
    await expect.poll(() => ada.page.locator("#saved").textContent(), { timeout: 20_000 }).toBe("All changes saved");
    expect([...ada.errors, ...alan.errors]).toEqual([]);
    expect(await cli.stop("SIGINT")).toBe(0);
  }, 60_000);

  it("the installed provider runs in a page with no bundler: an import map to the installed files, two pages sync and save", async () => {
    // The import map a tool (or a hand) writes: each bare import of the provider's files, resolved for browsers.
    const imports: Record<string, string> = { "yparty/provider": "/node_modules/yparty/dist/provider/index.js" };
    await esbuild.build({
      entryPoints: [path.join(installedPackage, "dist", "provider", "index.js")],
      bundle: true,
      write: false,
      platform: "browser",
      format: "esm",
      logLevel: "silent",
      plugins: [
        {
          name: "import-map",
          setup(build) {
            build.onResolve({ filter: /^[^./]/ }, async (args) => {
              if (args.pluginData) return undefined;
              const resolved = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: true });
              imports[args.path] = `/${path.relative(installed, resolved.path).split(path.sep).join("/")}`;
              return resolved;
            });
          },
        },
      ],
    });
    const data = await tempDir("yparty-installed-nocode-");
    defer(data.remove);
    const cli = new CliProcess(["start", "--port", "0", "--persist", data.dir], {
      cwd: installed,
      bin: path.join(installed, "node_modules", ".bin", "yparty"),
    });
    defer(() => cli.stop("SIGKILL"));
    const host = new URL(await cli.url()).host;
    const html = `<!doctype html><meta charset="utf-8"><script type="importmap">${JSON.stringify({ imports })}</script>
<script type="module">
  import YPartyKitProvider from "yparty/provider";
  import * as Y from "yjs";
  const doc = new Y.Doc();
  window.provider = new YPartyKitProvider(${JSON.stringify(host)}, "no-bundler", doc);
</script>`;
    const pages = await listen(
      http.createServer(async (req, res) => {
        if (req.url === "/") return void res.writeHead(200, { "content-type": "text/html" }).end(html);
        if (req.url === "/favicon.ico") return void res.writeHead(204).end();
        const file = path.join(installed, path.normalize(decodeURIComponent(req.url ?? "")));
        const body = file.startsWith(path.join(installed, "node_modules")) ? await readFile(file).catch(() => null) : null;
        if (body) res.writeHead(200, { "content-type": "text/javascript" }).end(body);
        else res.writeHead(404).end();
      }),
    );
    defer(() => pages.close());
    const browser = await launchChromium();
    defer(() => browser.close());
    type Win = { provider: { doc: Y.Doc; synced: boolean; unsyncedChanges: number } };
    const open = async () => {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      page.on("console", (message) => message.type() === "error" && errors.push(message.text()));
      await page.goto(`http://${pages.host}/`);
      await page.waitForFunction(() => (window as unknown as Win).provider?.synced, null, { timeout: 20_000 });
      return { page, errors };
    };
    const [one, two] = [await open(), await open()];
    await one.page.evaluate(() => (window as unknown as Win).provider.doc.getText("t").insert(0, "no bundler"));
    await two.page.waitForFunction(() => (window as unknown as Win).provider.doc.getText("t").toString() === "no bundler", null, { timeout: 20_000 });
    await one.page.waitForFunction(() => (window as unknown as Win).provider.unsyncedChanges === 0, null, { timeout: 20_000 });
    expect([...one.errors, ...two.errors]).toEqual([]);
  }, 60_000);
});
