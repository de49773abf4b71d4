/**
 * A data folder in a format this yparty does not know (a newer yparty wrote it): `yparty start`, `doctor`, `repair` and
 * `migrate` refuse it saying so and change nothing, instead of serving its rooms as never written. A folder without a
 * mark (an older yparty's, y-websocket's) is format 1 and is upgraded and marked (format 2) by the first server that opens it.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../cli/helpers.js";
import { damageWorkspace, postUpdates, roomAnswer, startServer } from "./damage-support.js";
import { writeRaw } from "./helpers.js";

const workspace = damageWorkspace();
const FORMAT_KEY = new TextEncoder().encode("yparty:format");

async function formatMark(dir: string): Promise<string | undefined> {
  let mark: Uint8Array | undefined;
  await writeRaw(dir, async (db) => {
    [mark] = await db.getMany([FORMAT_KEY]);
  });
  return mark && new TextDecoder().decode(mark);
}

describe("the format of a data folder", () => {
  it("a folder a newer yparty wrote is refused by start, doctor, repair and migrate, and left as it was", { timeout: 90_000 }, async () => {
    const dir = await workspace.tempDir();
    const first = await startServer(dir, workspace.running);
    await postUpdates(first.url, "kept", 3);
    await first.cli.stop("SIGTERM");
    expect(await formatMark(dir)).toBe("2");
    await writeRaw(dir, (db) => db.put(FORMAT_KEY, new TextEncoder().encode("3")));

    const start = await runCli(["start", "--port", "0", "--persist", dir], { cwd: dir });
    expect(start.code).toBe(1);
    expect(start.stderr).toContain(`${dir} holds data in format 3, written by a newer yparty; this yparty reads formats 1 to 2. Nothing was changed`);
    for (const command of ["doctor", "repair"]) {
      const run = await runCli([command, "--persist", dir], { cwd: dir });
      expect(run.code, command).not.toBe(0);
      expect(run.stderr, command).toContain("written by a newer yparty");
    }
    const migrate = await runCli(["migrate", "--from", dir, "--to", "postgres://nobody@127.0.0.1:1/none"], { cwd: dir });
    expect(migrate.code).not.toBe(0);
    expect(migrate.stderr).toContain("written by a newer yparty");
    expect(await fs.readdir(dir)).not.toContain("lost"); // LevelDB's repair did not run (it moves what it drops there)
    expect(await formatMark(dir)).toBe("3");

    // A mark that is no format at all is refused too, naming what it found.
    await writeRaw(dir, (db) => db.put(FORMAT_KEY, new TextEncoder().encode("v2-beta")));
    const unknown = await runCli(["start", "--port", "0", "--persist", dir], { cwd: dir });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('holds data in an unknown format ("v2-beta")');

    // Given back its own format, the folder is served whole.
    await writeRaw(dir, (db) => db.put(FORMAT_KEY, new TextEncoder().encode("2")));
    const again = await startServer(dir, workspace.running);
    expect(await roomAnswer(again.url, "kept")).toEqual({ status: 200, keys: 3 });
  });

  it("a folder without a mark (an older yparty's) is served and marked with format 2", { timeout: 60_000 }, async () => {
    const dir = await workspace.tempDir();
    const first = await startServer(dir, workspace.running);
    await postUpdates(first.url, "old", 2);
    await first.cli.stop("SIGTERM");
    await writeRaw(dir, (db) => db.del(FORMAT_KEY));
    expect(await formatMark(dir)).toBeUndefined();
    const doctor = await runCli(["doctor", "--persist", dir], { cwd: dir });
    expect(doctor.code).toBe(0);
    expect(await formatMark(dir)).toBeUndefined(); // doctor writes nothing
    const again = await startServer(dir, workspace.running);
    expect(await roomAnswer(again.url, "old")).toEqual({ status: 200, keys: 2 });
    await again.cli.stop("SIGTERM");
    expect(await formatMark(path.resolve(dir))).toBe("2");
  });
});
