/**
 * The built CLI with PostgreSQL: `yparty start --store postgres://…`, its errors, and `yparty migrate` from a LevelDB
 * folder (the real bin/yparty.js, dist/ built by the global setup).
 */
import { afterAll, afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { openStorage, PostgresStorage } from "../../persistence/index.js";
import { ALARMS_KV_NAME } from "../../src/runtime/alarms.js";
import { stopAllEngines } from "../helpers/engines.js";
import { CliProcess, closedPort, deferredCleanups, runCli, tempDir } from "../cli/helpers.js";
import { flipBytes, largestFile } from "./damage-support.js";
import { textOf, textUpdate } from "./helpers.js";
import { freshDatabase, query } from "./postgres-helpers.js";

afterAll(stopAllEngines);
const defer = deferredCleanups(afterEach);

/** The engine's URL with a password in it (trust auth ignores it): it must never be printed. */
const withPassword = (url: string) => url.replace("postgres://postgres@", "postgres://postgres:s3cret@");

async function startCli(args: string[], cwd: string): Promise<{ cli: CliProcess; url: string }> {
  const cli = new CliProcess(["start", "--port", "0", ...args], { cwd, env: { NO_COLOR: "1" } });
  defer(() => cli.stop("SIGKILL"));
  return { cli, url: await cli.url() };
}

const post = (url: string, update: Uint8Array) =>
  fetch(url, { method: "POST", body: update as BodyInit, headers: { "content-type": "application/octet-stream" } });

describe("yparty start --store postgres://…", () => {
  it("stores documents in PostgreSQL, names the database without its password, and has them after a restart", async () => {
    const { url } = await freshDatabase();
    const project = await tempDir();
    defer(project.remove);
    const first = await startCli(["--store", withPassword(url)], project.dir);
    // `start` without a terminal logs JSON lines: the ready line says where the data lives.
    expect(first.cli.output).toMatch(/"data":"postgres:\/\/postgres@127\.0\.0\.1:\d+\/yparty/);
    const doc = new Y.Doc();
    doc.getText("t").insert(0, "stored in PostgreSQL");
    expect((await post(`${first.url}/parties/main/notes`, Y.encodeStateAsUpdate(doc))).status).toBe(200);
    expect(await first.cli.stop("SIGTERM")).toBe(0);
    expect(first.cli.output).not.toContain("s3cret");
    expect(Number((await query(url, "SELECT count(*) AS n FROM doc_updates WHERE doc = 'main/notes'"))[0]!.n)).toBeGreaterThan(0);

    const second = await startCli(["--store", withPassword(url)], project.dir);
    expect(await (await fetch(`${second.url}/parties/main/notes`)).json()).toEqual({ t: "stored in PostgreSQL" });
  });

  it("takes store from yparty.json; a second standalone server on the database fails saying to use --cluster", async () => {
    const { url } = await freshDatabase();
    const project = await tempDir();
    defer(project.remove);
    const { writeFile } = await import("node:fs/promises");
    await writeFile(`${project.dir}/yparty.json`, JSON.stringify({ store: url }));
    const first = await startCli([], project.dir);
    expect(first.cli.output).toContain('"data":"postgres://');
    const second = await runCli(["start", "--port", "0"], { cwd: project.dir });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain("is in use by another yparty process (start both with --cluster)");
  });

  it("refuses --store with --persist or --no-persist, and a store that is not a PostgreSQL URL (exit 2)", async () => {
    const project = await tempDir();
    defer(project.remove);
    for (const flag of [["--persist", "data"], ["--no-persist"]]) {
      const result = await runCli(["start", "--store", "postgres://localhost/db", ...flag], { cwd: project.dir });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`--store and ${flag[0]} both say where the data lives`);
    }
    const wrong = await runCli(["start", "--store", "mysql://localhost/db"], { cwd: project.dir });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('--store: must be a PostgreSQL URL (postgres://user@host:5432/database), got "mysql://localhost/db"');
  });

  it("exits 2 when the database cannot be reached, naming it without its password and saying why", async () => {
    const project = await tempDir();
    defer(project.remove);
    const port = await closedPort();
    const result = await runCli(["start", "--port", "0", "--store", `postgres://app:hunter2@127.0.0.1:${port}/yparty`], { cwd: project.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`Could not open postgres://app@127.0.0.1:${port}/yparty: ECONNREFUSED`);
    expect(result.stderr).toContain("is PostgreSQL running there");
    expect(result.stderr).not.toContain("hunter2");
  });
});

describe("yparty migrate --from <folder> --to postgres://…", () => {
  /** A LevelDB folder as a server leaves it: documents, room storage, a stored alarm. */
  async function levelFolder(): Promise<string> {
    const folder = await tempDir("yparty-migrate-");
    defer(folder.remove);
    const storage = await openStorage({ dir: folder.dir, onWarning: () => undefined });
    const writer = new Y.Doc();
    for (let i = 0; i < 30; i++) await storage.docs.append("main/long", textUpdate(writer, `${i},`));
    for (let i = 0; i < 12; i++) await storage.docs.append(`main/room-${i}`, textUpdate(new Y.Doc(), `room ${i}`));
    await storage.kv("main/room-1").put({ settings: { theme: "dark" }, when: new Date(0), "😀": new Map([[1, 2]]) });
    await storage.kv("chat/a\u0000b").put("__proto__", ["odd key"]);
    await storage.kv(ALARMS_KV_NAME).put("main/room-2", { at: 1_900_000_000_000, id: "alarm-1" });
    await storage.close();
    return folder.dir;
  }

  it("copies every document, room store and alarm; a second run copies nothing more; a conflicting key is reported, not overwritten", async () => {
    const dir = await levelFolder();
    const { url } = await freshDatabase();
    const first = await runCli(["migrate", "--from", dir, "--to", withPassword(url)]);
    expect(first.stderr).toContain("documents: 13 of 13");
    expect(first.stdout).toContain("13 document(s) copied, 0 already there; 5 key(s) of 3 room store(s) copied, 0 already there");
    expect(first.code).toBe(0);
    expect(first.stdout + first.stderr).not.toContain("s3cret");

    const check = async () => {
      const storage = await PostgresStorage.open({ url, onWarning: () => undefined });
      try {
        expect(await storage.docs.names()).toEqual(["main/long", ...Array.from({ length: 12 }, (_, i) => `main/room-${i}`)].sort());
        expect(textOf(await storage.docs.load("main/long"))).toBe(Array.from({ length: 30 }, (_, i) => `${i},`).join(""));
        expect(textOf(await storage.docs.load("main/room-7"))).toBe("room 7");
        expect(await storage.kv("main/room-1").list()).toEqual(
          new Map<string, unknown>([
            ["settings", { theme: "dark" }],
            ["when", new Date(0)],
            ["😀", new Map([[1, 2]])],
          ]),
        );
        expect(await storage.kv("chat/a\u0000b").get("__proto__")).toEqual(["odd key"]);
        expect(await storage.kv(ALARMS_KV_NAME).get("main/room-2")).toEqual({ at: 1_900_000_000_000, id: "alarm-1" });
      } finally {
        await storage.close();
      }
    };
    await check();

    const again = await runCli(["migrate", "--from", dir, "--to", url]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("0 document(s) copied, 13 already there; 0 key(s) of 3 room store(s) copied, 5 already there");
    await check();
    expect(Number((await query(url, "SELECT count(*) AS n FROM doc_updates"))[0]!.n)).toBe(13); // nothing appended twice

    const changed = await PostgresStorage.open({ url, onWarning: () => undefined });
    await changed.kv("main/room-1").put("settings", { theme: "light" });
    await changed.close();
    const conflict = await runCli(["migrate", "--from", dir, "--to", url]);
    expect(conflict.code).toBe(1);
    expect(conflict.stdout).toContain('NOT COPIED  room "main/room-1" key "settings": the target holds another value');
    expect(conflict.stdout).toContain("1 item(s) not copied");
  });

  it("refuses a folder whose log lost acknowledged writes, saying what doctor finds, and copies nothing", async () => {
    const dir = await levelFolder();
    // 16 bytes flipped in the middle of the write-ahead log (the folder was closed, not compacted: its writes are there)
    await flipBytes(await largestFile(dir, "log"), 0.5);
    const { url } = await freshDatabase();
    const refused = await runCli(["migrate", "--from", dir, "--to", url]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/^LEVELDB {5}/m);
    expect(refused.stderr).toContain(`${dir} is damaged (above): writes it acknowledged may be missing, and nothing was copied`);
    expect(refused.stderr).toContain(`run "yparty repair --persist ${dir}"`);
    const target = await PostgresStorage.open({ url, onWarning: () => undefined });
    defer(() => target.close());
    expect(await target.docs.names()).toEqual([]);
  });

  it("refuses a folder a server holds, a database a server uses, and a folder that is not a data folder", async () => {
    const dir = await levelFolder();
    const { url } = await freshDatabase();
    const held = await openStorage({ dir, onWarning: () => undefined });
    const busyFolder = await runCli(["migrate", "--from", dir, "--to", url]);
    await held.close();
    expect(busyFolder.code).toBe(1);
    expect(busyFolder.stderr).toContain(`${dir} is in use by a running server: stop it first`);

    const server = await PostgresStorage.open({ url, onWarning: () => undefined });
    const busyDatabase = await runCli(["migrate", "--from", dir, "--to", url]);
    await server.close();
    expect(busyDatabase.code).toBe(1);
    expect(busyDatabase.stderr).toContain("is in use by another yparty process");

    const empty = await tempDir();
    defer(empty.remove);
    const notData = await runCli(["migrate", "--from", `${empty.dir}/missing`, "--to", url]);
    expect(notData.code).toBe(2);
    expect(notData.stderr).toContain(`--from: ${empty.dir}/missing is not a data folder (it does not exist or is not a folder)`);
    const usage = await runCli(["migrate", "--from", dir]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("yparty migrate needs --from <leveldb folder> and --to postgres://…");
  });
});
