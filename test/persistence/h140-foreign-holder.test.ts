/**
 * A data folder held by a program that is not yparty: a backup or inspection script that opened its LevelDB database
 * with level (classic-level), which takes LevelDB's lock but not yparty's hold (folder-hold.ts). A yparty start,
 * doctor or repair on it was refused as "in use by another yparty process", sending the operator after a server that
 * does not exist (and `yparty start` named a stopped server from its server.json as "pid …, serving …"), and it linked
 * and released the holder's live log before LevelDB refused it. Now: refused before any log is touched, naming the
 * process that holds it and saying it is not a yparty server.
 */
import type { FSWatcher } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, expect, it } from "vitest";
import { checkFolder, openStorage, repairFolder, type Storage } from "../../persistence/index.js";
import { runCli } from "../cli/helpers.js";
import { spawnReady, type Child } from "./child.js";
import { namesTouched } from "./folder-watch.js";
import { folderWithAKey, refusalOf, removeDir } from "./helpers.js";

const children: Child[] = [];
const storages: Storage[] = [];
const watchers: FSWatcher[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const watcher of watchers.splice(0)) watcher.close();
  await Promise.all(children.splice(0).map((child) => child.kill()));
  await Promise.all(storages.splice(0).map((storage) => storage.close()));
  await Promise.all(dirs.splice(0).map(removeDir));
});

/** A yparty folder with a room's data, then held by a plain LevelDB program. */
async function heldByABackupScript(): Promise<{ dir: string; holder: Child }> {
  const dir = await folderWithAKey(dirs);
  const holder = await spawnReady("h140-level-holder.ts", [dir], children, "the backup script to open the folder");
  return { dir, holder };
}

it("a start, doctor and repair on it: ERR_STORAGE_LOCKED naming the process, not a yparty server, no log linked", async () => {
  const { dir, holder } = await heldByABackupScript();
  const pid = holder.process.pid!;
  const answers: Array<{ code?: string | undefined; message: string }> = [];
  const touched = await namesTouched(
    dir,
    async () => {
      answers.push(await refusalOf(openStorage({ dir })), await refusalOf(checkFolder(dir)), await refusalOf(repairFolder(dir)));
    },
    watchers,
  );
  for (const answer of answers) {
    expect(answer.code).toBe("ERR_STORAGE_LOCKED");
    expect(answer.message).toContain(`${dir} is in use by process ${pid} (`);
    expect(answer.message).toContain("h140-level-holder.ts");
    expect(answer.message).toContain("not a yparty server");
    expect(answer.message).not.toContain("another yparty process");
  }
  expect(touched.filter((name) => name.startsWith("yparty-replayed-"))).toEqual([]);

  await holder.kill(); // the script gone, the folder opens with its data
  const storage = await openStorage({ dir });
  storages.push(storage);
  expect(await storage.kv("main/r").get("k")).toBe("v");
});

it("yparty start and doctor say so too, and start names no stopped server from its server.json", { timeout: 60_000 }, async () => {
  const { dir, holder } = await heldByABackupScript();
  // As a server killed -9 leaves it.
  await fs.writeFile(path.join(dir, "server.json"), JSON.stringify({ url: "http://127.0.0.1:1", token: "t", pid: 999_999 }));

  const started = await runCli(["start", "--port", "0", "--persist", dir], { cwd: dir });
  expect(started.code).toBe(1);
  expect(started.stderr).toContain(`is in use by process ${holder.process.pid} (`);
  expect(started.stderr).toContain("not a yparty server");
  expect(started.stderr).not.toContain("999999");

  const doctor = await runCli(["doctor", "--persist", dir], { cwd: dir });
  expect(doctor.code).not.toBe(0);
  expect(doctor.stderr).toContain(`is in use by process ${holder.process.pid} (`);
  expect(doctor.stderr).not.toContain("running server");
});
