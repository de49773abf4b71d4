/**
 * Adversarial (helper adv46): LevelDB data folders whose CURRENT file is there by name but names nothing LevelDB can
 * open. `levelFolderState` (persistence/level-folder.ts) calls a folder "database" as soon as `readdir` lists a
 * CURRENT, while LevelDB decides with its own checks.
 */
import { readdir, rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { CliProcess, deferredCleanups, folderWithTables, runCli, tempDir } from "./helpers.js";

const defer = deferredCleanups(afterEach);

/** `yparty start` in `dir`: its URL, or undefined when it exited (its output then says why). */
async function startIn(dir: string): Promise<{ cli: CliProcess; url: string | undefined }> {
  const cli = new CliProcess(["start", "--port", "0"], { cwd: dir });
  defer(() => cli.stop("SIGKILL"));
  return { cli, url: await cli.url().catch(() => undefined) };
}

describe("a CURRENT that is a symbolic link to nothing", () => {
  // What it shows: `levelFolderState` sees the name CURRENT in `readdir` and answers "database"; LevelDB tests CURRENT
  // with access(2), which follows the link and finds nothing, so with createIfMissing it makes a new, empty database
  // (its CURRENT replaces the link) and deletes every table it does not know as obsolete. `yparty start` then serves
  // every room as never written (404 ERR_ROOM_NOT_FOUND) and the tables are gone for good. (doctor, by contrast, says
  // the folder cannot open, and repair rebuilds it and serves every document: the data was all there.)
  // Found with a backup restored with a symbolic link for CURRENT whose target it did not keep.
  // What it should do: a CURRENT that does not lead to a file is a folder without CURRENT (lstat/stat it, or open
  // with createIfMissing: false whenever the folder holds LevelDB files): start refuses it naming `yparty repair`,
  // and the tables stay.
  it("yparty start neither serves the documents as never written nor deletes their tables", async () => {
    const { dir, folder, tables } = await folderWithTables("yparty-adv46-link-", defer);
    await rm(path.join(folder, "CURRENT"));
    await symlink(path.join(folder, "MANIFEST-gone"), path.join(folder, "CURRENT"));
    const { cli, url } = await startIn(dir);
    if (url === undefined) {
      expect(cli.child.exitCode).not.toBe(0);
      expect(cli.output).toContain("yparty repair");
    } else {
      const response = await fetch(`${url}/parties/main/kept-0`);
      expect(response.status, await response.text()).toBe(200);
    }
    expect((await readdir(folder)).filter((file) => file.endsWith(".ldb")).sort()).toEqual(tables);
  });
});

describe("a CURRENT that LevelDB cannot read", () => {
  // What it shows: a CURRENT that is empty (a crash between its creation and its write, on a file system that does
  // not order them) or names a MANIFEST that is not there makes `yparty start` exit with
  // "yparty: unexpected failure: Could not open …: LEVEL_CORRUPTION: Corruption: CURRENT file does not end with newline
  // (set YPARTY_DEBUG=1 for the stack)": an internal fault to the reader, with no word of doctor or repair, though
  // `yparty repair` rebuilds the folder and every document is served after (tried by hand). `yparty doctor` says
  // "Could not open …: Database is not open", leaving out LevelDB's reason.
  // What it should do: as for a folder without CURRENT (docs/persistence.md, Layout): say what is wrong and to run
  // Root cause: the start's error mapping (src/cli/serve/run.ts, after the `--store` case) turns only
  // ERR_STORAGE_LOCKED of a LevelDB folder into a CliError; any other open error (LevelDB's corruption, and even the
  // ERR_STORAGE_CORRUPT of level-folder.ts's noCurrentError) is returned as it is and printed by src/cli/main.ts as an
  // "unexpected failure"; doctor's `withFolder` (src/cli/doctor.ts) prints `error.message` of classic-level's wrapper
  // ("Database is not open"), not its cause.
  // `yparty doctor` / `yparty repair`, exit 1 (ideally not as "unexpected failure … set YPARTY_DEBUG=1 for the stack",
  // which even the no-CURRENT refusal prints today).
  for (const [what, content] of [
    ["empty", ""],
    ["naming a missing MANIFEST", "MANIFEST-999999\n"],
  ] as const) {
    it(`yparty start on a folder whose CURRENT is ${what} says to run yparty repair`, async () => {
      const { dir, folder, tables } = await folderWithTables("yparty-adv46-current-", defer);
      await writeFile(path.join(folder, "CURRENT"), content);
      const { cli, url } = await startIn(dir);
      expect(url).toBeUndefined();
      expect(cli.child.exitCode).toBe(1);
      expect(cli.output).toContain("yparty repair");
      expect((await readdir(folder)).filter((file) => file.endsWith(".ldb")).sort()).toEqual(tables);
    });
  }
});

describe("yparty repair of a folder whose CURRENT is gone", () => {
  // Held up: acknowledged documents still only in LevelDB's write-ahead log (a kill -9, no table written yet) and in
  // tables; CURRENT removed; start refuses, repair rebuilds, and start then serves every document as acknowledged.
  it("after a kill -9 and a lost CURRENT, repair brings back every acknowledged document", async () => {
    const { dir, remove } = await tempDir("yparty-adv46-repair-");
    defer(remove);
    const folder = path.join(dir, ".yparty");
    const first = await startIn(dir);
    const rooms = Array.from({ length: 6 }, (_, i) => `acked-${i}`);
    for (const room of rooms) {
      const doc = new Y.Doc();
      doc.getText("t").insert(0, room);
      const response = await fetch(`${first.url}/parties/main/${room}`, {
        method: "POST",
        body: new Uint8Array(Y.encodeStateAsUpdate(doc)),
        headers: { "content-type": "application/octet-stream" },
      });
      expect(response.status).toBe(200);
    }
    await first.cli.stop("SIGKILL");
    await rm(path.join(folder, "CURRENT"));
    const refused = await startIn(dir);
    expect(refused.url).toBeUndefined();
    const repaired = await runCli(["repair", "--persist", folder], { cwd: dir });
    expect(repaired.code, repaired.stderr).toBe(0);
    const second = await startIn(dir);
    expect(second.url).toBeDefined();
    const served: Record<string, unknown> = {};
    for (const room of rooms) served[room] = await (await fetch(`${second.url}/parties/main/${room}`)).json();
    expect(served).toEqual(Object.fromEntries(rooms.map((room) => [room, { t: room }])));
  });
});
