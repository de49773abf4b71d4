/**
 * The page bundle (`serve.build`) holds one Yjs and one React: the project's. yparty's provider sources import
 * `yjs` and `react` too; from a folder install (`npm install ../yparty`) they used to find yparty's own
 * node_modules copies, and the page got two ("Yjs was already imported", "Invalid hook call").
 */
import { cp, mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { deferredCleanups, repoRoot, serveIn, tempDir } from "./helpers.js";

const defer = deferredCleanups(afterEach);

/** Yjs's guard against a second copy: its text appears once per copy in a bundle. */
const yjsMarker = "Yjs was already imported";

describe("the page bundle", () => {
  it("resolves yjs and react from the project for the page and for yparty's provider: one copy each, the project's", async () => {
    const { dir, remove } = await tempDir("yparty-page-");
    defer(remove);
    // The project has its own yjs (a real copy, not yparty's file), and shares lib0.
    const projectYjs = path.join(dir, "node_modules", "yjs");
    await mkdir(path.join(projectYjs, "dist"), { recursive: true });
    await cp(path.join(repoRoot, "node_modules", "yjs", "package.json"), path.join(projectYjs, "package.json"));
    await cp(path.join(repoRoot, "node_modules", "yjs", "dist", "yjs.mjs"), path.join(projectYjs, "dist", "yjs.mjs"));
    await symlink(path.join(repoRoot, "node_modules", "lib0"), path.join(dir, "node_modules", "lib0"), "dir");
    // And its own react (a copy of the files a browser bundle of `react` reads).
    const projectReact = path.join(dir, "node_modules", "react");
    for (const file of ["package.json", "index.js", "cjs/react.development.js"]) {
      await cp(path.join(repoRoot, "node_modules", "react", file), path.join(projectReact, file), { recursive: true });
    }
    await mkdir(path.join(dir, "public"));
    await mkdir(path.join(dir, "src"));
    await writeFile(
      path.join(dir, "src", "page.ts"),
      `import * as Y from "yjs";
import YPartyKitProvider from "y-partykit/provider";
import useYProvider from "y-partykit/react";
import { useState } from "react";
export const provider = new YPartyKitProvider(location.host, "room", new Y.Doc(), { connect: false });
export const hooks = [useYProvider, useState];
`,
    );
    await writeFile(
      path.join(dir, "yparty.json"),
      JSON.stringify({ serve: { path: "public", build: { entry: "src/page.ts", outdir: "public/build", sourcemap: false, splitting: false } } }),
    );
    const { url } = await serveIn(defer, "start", dir, ["--no-persist"]);
    const bundle = await readFile(path.join(dir, "public", "build", "page.js"), "utf8");
    expect(bundle.split(yjsMarker).length - 1).toBe(1);
    // esbuild names each bundled file in a comment, relative to the project: the one Yjs and React are the project's.
    expect(bundle.match(/^\/\/ .*yjs\.mjs$/gm)).toEqual(["// node_modules/yjs/dist/yjs.mjs"]);
    expect(bundle.match(/^\/\/ .*react\/cjs\/.*$/gm)).toEqual(["// node_modules/react/cjs/react.development.js"]);
    expect(await (await fetch(`${url}/build/page.js`)).text()).toBe(bundle);
  });
});
