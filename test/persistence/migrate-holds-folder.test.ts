/**
 * `yparty migrate` reads a data folder with LevelDB's lock but did not take yparty's hold (folder-hold.ts): a server
 * started on the folder meanwhile was refused as held by "a program that opened its LevelDB database without yparty's
 * hold: not a yparty server", telling the operator to look for a backup script. The read now takes the hold, as a
 * server, doctor and repair do: the start is refused as held by another yparty process.
 */
import { afterEach, expect, it } from "vitest";
import { checkFolder, openStorage } from "../../persistence/index.js";
import { spawnReady, type Child } from "./child.js";
import { folderWithAKey, refusalOf, removeDir } from "./helpers.js";

const children: Child[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.kill()));
  await Promise.all(dirs.splice(0).map(removeDir));
});

it("a start and a doctor on a folder migrate is reading: refused as held by another yparty process", async () => {
  const dir = await folderWithAKey(dirs);
  const reader = await spawnReady("migrate-reader.ts", [dir], children, "the migrate reader to open the folder");

  // One after the other: made together, the second's refusal would come before anything awaited it.
  for (const attempt of [() => openStorage({ dir }), () => checkFolder(dir)]) {
    const answer = await refusalOf(attempt());
    expect(answer.code).toBe("ERR_STORAGE_LOCKED");
    expect(answer.message).toContain("is in use by another yparty process");
    expect(answer.message).not.toContain("not a yparty server");
  }
  await reader.kill();
  const after = await openStorage({ dir });
  expect(await after.kv("main/r").get("k")).toBe("v");
  await after.close();
});
