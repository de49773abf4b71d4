/**
 * The data folder `yparty start` makes is its user's alone (0700, as PostgreSQL's data folder and ~/.ssh), whatever
 * holds it: with `--store` it holds only server.json and was made 0755 (every local user could list it). One that
 * exists keeps its mode, and a start warns once (naming the folder, its mode and the chmod to run) when every user
 * of the machine may read it: PostgreSQL and ssh refuse such folders; yparty leaves the choice to the operator.
 */
import { chmod, mkdir, stat } from "node:fs/promises";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { stopAllEngines } from "../helpers/engines.js";
import { freshDatabase } from "../persistence/postgres-helpers.js";
import { CliProcess, deferredCleanups, projectWith, serveIn } from "./helpers.js";

afterAll(stopAllEngines);
const defer = deferredCleanups(afterEach);

const modeOf = async (folder: string) => (await stat(folder)).mode & 0o777;
const WARNING = /storage\.warning[^\n]*ERR_STORAGE_PERMISSIONS[^\n]*/;

describe("the data folder's mode", () => {
  it("yparty start --store makes the folder of server.json 0700", async () => {
    const { url } = await freshDatabase();
    const dir = await projectWith(defer, {});
    const cli = new CliProcess(["start", "--port", "0", "--store", url], { cwd: dir });
    defer(() => cli.stop("SIGKILL"));
    await cli.url();
    expect(await modeOf(path.join(dir, ".yparty"))).toBe(0o700);
    expect((await stat(path.join(dir, ".yparty", "server.json"))).mode & 0o777).toBe(0o600);
  });

  it("yparty start makes a LevelDB folder and the missing ones above it 0700, and warns of none", async () => {
    const dir = await projectWith(defer, {});
    const { cli } = await serveIn(defer, "start", dir, ["--persist", "deep/data"]);
    expect([await modeOf(path.join(dir, "deep")), await modeOf(path.join(dir, "deep", "data"))]).toEqual([0o700, 0o700]);
    expect(cli.output).not.toMatch(WARNING);
  });

  it("keeps an existing folder's mode, warning when every user may read it (not for a group's)", async () => {
    const dir = await projectWith(defer, {});
    for (const [name, mode] of [
      ["open", 0o755],
      ["group", 0o750],
    ] as const) {
      const folder = path.join(dir, name);
      await mkdir(folder);
      await chmod(folder, mode);
      const { cli } = await serveIn(defer, "start", dir, ["--persist", name]);
      expect(await modeOf(folder)).toBe(mode);
      if (mode === 0o755) {
        const line = (await cli.waitFor(WARNING, 5_000))[0];
        expect(line).toContain(`${folder} can be read by every user of this machine (mode 0755)`);
        expect(line).toContain(`chmod 700 ${folder}`);
      } else {
        expect(cli.output).not.toMatch(WARNING);
      }
      await cli.stop();
    }
  });
});
