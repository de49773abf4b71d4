/**
 * `yparty doctor` and `yparty repair` as an operator meets them: help, a clean folder, a folder a server holds,
 * a folder that is not there. (Damaged folders: test/persistence/damaged-storage.test.ts.)
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { openStorage } from "../../persistence/index.js";
import { CliProcess, deferredCleanups, runCli, tempDir } from "./helpers.js";

const defer = deferredCleanups(afterEach);

async function folderWithDocuments(count: number): Promise<string> {
  const { dir, remove } = await tempDir("yparty-doctor-");
  defer(remove);
  const storage = await openStorage({ dir });
  for (let i = 0; i < count; i++) {
    const doc = new Y.Doc();
    doc.getText("t").insert(0, `document ${i}`);
    await storage.docs.append(`main/room-${i}`, Y.encodeStateAsUpdate(doc));
  }
  await storage.close();
  return dir;
}

describe("yparty doctor and repair", () => {
  it.each(["doctor", "repair"])("explains 'yparty %s' and its --persist flag", async (command) => {
    const result = await runCli([command, "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Usage: yparty ${command} [options]`);
    expect(result.stdout).toContain("--persist <dir>");
    const main = await runCli(["--help"]);
    expect(main.stdout).toMatch(new RegExp(`^  ${command}\\b`, "m"));
  });

  it.each(["doctor", "repair"])(
    "'yparty %s' in a project that stores in PostgreSQL says so (exit 2), instead of checking a LevelDB folder",
    async (command) => {
      const { dir, remove } = await tempDir("yparty-doctor-pg-");
      defer(remove);
      await writeFile(join(dir, "yparty.json"), JSON.stringify({ main: "server.ts", store: "postgres://app@db.invalid:5432/yparty" }));
      const result = await runCli([command], { cwd: dir });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('this project stores its data in PostgreSQL ("store" in');
      expect(result.stderr).toContain("pass --persist <dir>");
    },
  );

  it("reports a clean folder with exit 0, and repair leaves it as it is", async () => {
    const dir = await folderWithDocuments(3);
    const checked = await runCli(["doctor", "--persist", dir], { cwd: dir });
    expect(checked.code, checked.stderr).toBe(0);
    expect(checked.stdout).toContain("3 document(s) checked: no damage found.");
    const repaired = await runCli(["repair", "--persist", dir], { cwd: dir });
    expect(repaired.code, repaired.stderr).toBe(0);
    expect(repaired.stdout).toContain("3 document(s) checked: 0 accepted with what is left, the folder is clean.");
    const storage = await openStorage({ dir });
    defer(() => storage.close());
    expect(await storage.docs.names()).toEqual(["main/room-0", "main/room-1", "main/room-2"]);
  });

  it("refuses a folder a running server holds, saying to stop it (exit 1)", async () => {
    const dir = await folderWithDocuments(1);
    const server = new CliProcess(["start", "--port", "0", "--persist", dir], { cwd: dir });
    defer(() => server.stop("SIGKILL"));
    await server.url();
    for (const command of ["doctor", "repair"]) {
      const result = await runCli([command, "--persist", dir], { cwd: dir });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("is in use by a running server: stop it first");
    }
  });

  it("says so when the folder does not exist (exit 1)", async () => {
    const { dir, remove } = await tempDir("yparty-doctor-");
    defer(remove);
    const result = await runCli(["doctor", "--persist", `${dir}/missing`], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("is not a data folder");
  });
});
