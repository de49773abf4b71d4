/**
 * yparty as another project sees it after `npm install <path to this repo>` (npm links the folder into
 * node_modules): every subpath export imports in plain Node, its types resolve for a strict NodeNext
 * TypeScript project, and the `yparty` binary runs.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../cli/helpers.js";

const run = promisify(execFile);
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
    await writeFile(
      path.join(consumer, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { strict: true, module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", lib: ["ES2023", "DOM"], noEmit: true, skipLibCheck: true, types: [] }, files: ["app.ts"] }),
    );
    await writeFile(
      path.join(consumer, "app.ts"),
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
    // The consumer has no yjs of its own: let it resolve yparty's, as a real install's dependency would.
    await symlink(path.join(repoRoot, "node_modules", "yjs"), path.join(consumer, "node_modules", "yjs"), "dir");
    const tsc = path.join(repoRoot, "node_modules", "typescript", "bin", "tsc");
    const result = await run(process.execPath, [tsc, "-p", consumer], { cwd: consumer }).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
    );
    expect(result).toEqual({ code: 0, stdout: "" });
  }, 60_000);

  it("runs the yparty binary", async () => {
    const { stdout } = await run(process.execPath, [path.join(consumer, "node_modules", "yparty", "bin", "yparty.js"), "--version"], { cwd: consumer });
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
