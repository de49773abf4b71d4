/**
 * Static files never include the data folder (LevelDB files and the admin token's server.json) or dotfiles,
 * whatever `--serve` points at: the project folder itself, a data folder without a dot, a symlink to it.
 */
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { deferredCleanups, serveIn, tempDir } from "./helpers.js";

const defer = deferredCleanups(afterEach);

async function project(): Promise<string> {
  const { dir, remove } = await tempDir("yparty-static-");
  defer(remove);
  await writeFile(path.join(dir, "index.html"), "<h1>home</h1>");
  await writeFile(path.join(dir, ".env"), "SECRET=1");
  await mkdir(path.join(dir, ".well-known"));
  await writeFile(path.join(dir, ".well-known", "security.txt"), "Contact: mailto:a@b.c");
  await mkdir(path.join(dir, "assets"));
  await writeFile(path.join(dir, "assets", "app.js"), "console.log(1)");
  return dir;
}

const status = async (url: string) => (await fetch(url)).status;

describe("static files and the data folder", () => {
  it("`--serve .` over the project folder serves its files, but not .yparty/ (admin token, LevelDB) nor dotfiles", async () => {
    const dir = await project();
    const { url } = await serveIn(defer, "start", dir, ["--serve", "."]);
    const adminFile = JSON.parse(await readFile(path.join(dir, ".yparty", "server.json"), "utf8")) as { token: string };
    expect(adminFile.token).toBeTruthy();

    expect(await (await fetch(`${url}/index.html`)).text()).toBe("<h1>home</h1>");
    expect(await status(`${url}/assets/app.js`)).toBe(200);
    expect(await status(`${url}/.well-known/security.txt`)).toBe(200);
    for (const hidden of ["/.yparty/server.json", "/%2Eyparty/server.json", "/assets/..%2F.yparty/server.json", "/.yparty/CURRENT", "/.env", "/.yparty/"]) {
      const response = await fetch(`${url}${hidden}`);
      expect({ hidden, status: response.status }).toEqual({ hidden, status: 404 });
      expect(await response.text()).not.toContain(adminFile.token);
    }
  });

  it("a data folder without a dot, and a symlink to it, are not served either", async () => {
    const dir = await project();
    await symlink(path.join(dir, "data"), path.join(dir, "assets", "linked"), "dir");
    const { url } = await serveIn(defer, "start", dir, ["--serve", ".", "--persist", "data"]);
    expect(JSON.parse(await readFile(path.join(dir, "data", "server.json"), "utf8"))).toMatchObject({ url });
    expect(await status(`${url}/assets/app.js`)).toBe(200);
    for (const hidden of ["/data/server.json", "/data/CURRENT", "/assets/linked/server.json"]) {
      expect({ hidden, status: await status(`${url}${hidden}`) }).toEqual({ hidden, status: 404 });
    }
  });
});
