/**
 * `yparty doctor` on a folder whose write-ahead log holds the torn end of a write that failed (a full disk) followed by
 * a later write, as a kill -9 on a full disk can leave it: LevelDB drops the rest of that block while the check opens
 * the folder. The server's own open tells that as no loss (h120); doctor said "LEVELDB … dropping … bytes", exit 1,
 * "keep a copy of the folder, then run yparty repair" about a folder that lost nothing the server acknowledged. It now
 * judges the drop as the server does; a record damaged whole is still a failure.
 */
import * as fs from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import { removeDir } from "../persistence/helpers.js";
import { folderWithLog, tearLog } from "../persistence/torn-log-support.js";
import { runCli } from "./helpers.js";

describe("yparty doctor and repair on a log LevelDB drops part of", () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map(removeDir));
  });

  it("a torn write followed by a later one: nothing acknowledged was lost, exit 0", async () => {
    const folder = await folderWithLog(dirs);
    await tearLog(folder);

    const doctor = await runCli(["doctor", "--persist", folder.dir], { cwd: "/tmp" });
    expect(doctor.stdout).toMatch(/dropping \d+ bytes/);
    expect(doctor.stdout).toContain("nothing acknowledged was lost");
    expect(doctor.stdout).not.toContain("yparty repair");
    expect(doctor.code).toBe(0);
    expect((await fs.readdir(folder.dir)).filter((name) => name.startsWith("yparty-replayed-"))).toEqual([]);
  });

  it("a record damaged whole: still reported for repair, exit 1", async () => {
    const folder = await folderWithLog(dirs);
    const damaged = Buffer.from(folder.log);
    damaged[folder.records.at(-3)!.end - 3]! ^= 0xff; // an acknowledged put's bytes, flipped
    await fs.writeFile(folder.file, damaged);

    const doctor = await runCli(["doctor", "--persist", folder.dir], { cwd: "/tmp" });
    expect(doctor.stdout).toMatch(/dropping \d+ bytes/);
    expect(doctor.stdout).not.toContain("nothing acknowledged was lost");
    expect(doctor.stdout).toContain("yparty repair");
    expect(doctor.code).toBe(1);
  });

  it("yparty repair run straight on such a folder says what LevelDB dropped: no loss for a torn write, possible loss for damage", async () => {
    const torn = await folderWithLog(dirs);
    await tearLog(torn);
    const damaged = await folderWithLog(dirs);
    const bytes = Buffer.from(damaged.log);
    bytes[damaged.records.at(-3)!.end - 3]! ^= 0xff;
    await fs.writeFile(damaged.file, bytes);

    const tornRepair = await runCli(["repair", "--persist", torn.dir], { cwd: "/tmp" });
    expect(tornRepair.code).toBe(0);
    expect(tornRepair.stdout).toMatch(/LEVELDB .*dropping \d+ bytes/);
    expect(tornRepair.stdout).toContain("nothing acknowledged was lost");
    const damagedRepair = await runCli(["repair", "--persist", damaged.dir], { cwd: "/tmp" });
    expect(damagedRepair.stdout).toMatch(/LEVELDB .*dropping \d+ bytes/);
    expect(damagedRepair.stdout).toContain("writes it had acknowledged may be lost");
    expect(damagedRepair.stdout).not.toContain("nothing acknowledged was lost");
    for (const dir of [torn.dir, damaged.dir]) expect((await fs.readdir(dir)).filter((name) => name.startsWith("yparty-replayed-"))).toEqual([]);
  });
});
