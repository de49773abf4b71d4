/**
 * A user upgrading yparty meets the folder format upgrade (1 to 2: room.storage keys in Durable Objects' order) on the
 * first start over their folder: it must hold memory within bounds however much it moves, and a server killed at any
 * point during it must, started again, serve every key, value and document exactly once.
 */
import * as path from "node:path";
import { serialize } from "node:v8";
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { openStorage } from "../../persistence/index.js";
import { encodeString, roomPrefix } from "../../persistence/kv-codec.js";
import { CliProcess, projectWith, runCli } from "../cli/helpers.js";
import { spawnFixture } from "./child.js";
import { makeTempDir, removeDir, textOf, textUpdate, writeFormatOneKeys, writeRaw } from "./helpers.js";

const dirs: string[] = [];
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  for (const dir of dirs.splice(0)) await removeDir(dir);
});

const FORMAT_KEY = new TextEncoder().encode("yparty:format");

/** The folder's format mark as stored ("1", "1>2" while upgrading, "2"). */
async function markOf(dir: string): Promise<string> {
  let mark = "";
  await writeRaw(dir, async (db) => {
    const [stored] = await db.getMany([FORMAT_KEY]);
    mark = stored ? new TextDecoder().decode(stored) : "";
  });
  return mark;
}

/** Keys whose stored bytes move in the upgrade, beside some that do not: lone surrogates, emoji, U+E000 up. */
const ODD_KEYS = ["a", "\uD800", "\uDFFF", "\uDBFF\uDFFF", "\uE000", "\uFFFF", "\uFFFD!", "\u{1F600}", "\u{1F600}\uD800", "z\uDC00z", "\uD7FF"];

/** A folder as an older yparty left it (format 1): `count` keys from U+E000 up, in plain UTF-16 BE, of `valueBytes` each. */
async function formatOneFolder(count: number, valueBytes: number): Promise<string> {
  const dir = await makeTempDir();
  dirs.push(dir);
  await writeFormatOneKeys(dir, count, valueBytes);
  return dir;
}

/**
 * Durable Objects' order (UTF-8 bytes, so code points), computed on UTF-16 units: surrogates (pairs, and lone ones,
 * which UTF-8 cannot hold and yparty keeps after U+FFFF) rank above every other BMP unit.
 */
const rank = (unit: number) => (unit >= 0xd800 && unit < 0xe000 ? unit + 0x10000 : unit);
function compareKeys(a: string, b: string): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return rank(a.charCodeAt(i)) - rank(b.charCodeAt(i));
  return a.length - b.length;
}
const utf8Order = (keys: string[]) => [...keys].sort(compareKeys);

describe("upgrading a format-1 folder", () => {
  it("holds memory within bounds: 150 MB of re-keyed values do not all sit in one batch", { timeout: 60_000 }, async () => {
    const dir = await formatOneFolder(30_000, 5_000);
    const child = spawnFixture("h108-open-peak.ts", [dir]);
    const line = await child.waitForLine((text) => text.startsWith("{"));
    await child.exited;
    const { risenMB } = JSON.parse(line) as { risenMB: number };
    // One batch of everything held the values about three times over (some 450 MB here).
    expect(risenMB).toBeLessThan(200);
  });

  it("a server killed (SIGKILL) at many points of its first start serves, started again, every key, value and document once", {
    timeout: 120_000,
  }, async () => {
    const project = await projectWith((cleanup) => cleanups.push(cleanup), {
      "partykit.json": JSON.stringify({ name: "upgrade", main: "src/server.ts" }),
      "src/server.ts":
        "export default class { constructor(room) { this.room = room; } async onRequest() { return Response.json([...(await this.room.storage.list()).keys()]); } }",
    });
    const dir = path.join(project, ".yparty");
    // Documents beside the stores, then the older yparty's keys: 40 rooms of odd keys, and enough 2 kB values (some
    // 12 MB) that the upgrade takes several batches.
    const storage = await openStorage({ dir, onWarning: () => undefined });
    for (let i = 0; i < 20; i++) await storage.docs.append(`main/doc-${i}`, textUpdate(new Y.Doc(), `document ${i}`));
    await storage.close();
    const rooms = Array.from({ length: 40 }, (_, i) => `main/room-${i}`);
    const filler = Array.from({ length: 150 }, (_, i) => `\uE000${i}`);
    const expected = new Map(rooms.map((room) => [room, [...ODD_KEYS, ...filler]]));
    await writeRaw(dir, async (db) => {
      const kv = db.sublevel<Uint8Array, Uint8Array>("kv", { keyEncoding: "view", valueEncoding: "view" });
      for (const [room, keys] of expected) {
        await kv.batch(
          keys.map((key) => ({
            type: "put" as const,
            key: Buffer.concat([roomPrefix(room), encodeString(key)]),
            value: serialize(`${room} ${key} ${"x".repeat(2_000)}`),
          })),
        );
      }
      await db.put(FORMAT_KEY, new TextEncoder().encode("1"));
    });

    // Kill points: one start at its spawn, then each from the upgrade's start on (its storage.upgrade_started line,
    // printed once the folder is marked "1>2"; a start resumes where the last one was killed) at 0, 7.5, 17, 29, 43 …
    // ms, each gap a quarter longer than the last, until a start got through the upgrade. Counted from the spawn, most
    // points fell in each start's own set-up (0.8 s on a loaded machine: 56 starts, past the test's timeout). Spaced
    // 30 ms apart, the number of starts grew with how slow the machine was, each start slower too (past 120 s beside
    // two CPU hogs); spaced so, it grows with the logarithm.
    const marks: string[] = [];
    for (let start = 0; (marks.at(-1) ?? "1") !== "2"; start++) {
      const cli = new CliProcess(["start", "--port", "0", "--persist", dir], { cwd: project });
      const exited = new Promise((resolve) => cli.child.once("exit", resolve));
      if (start > 0) {
        await cli.waitFor(/"event":"storage\.upgrade_started"/, 30_000);
        await new Promise((resolve) => setTimeout(resolve, 30 * (1.25 ** (start - 1) - 1)));
      }
      cli.child.kill("SIGKILL");
      await exited;
      marks.push(await markOf(dir));
      if (marks.at(-1) === "1>2" && marks.indexOf("1>2") === marks.length - 1) {
        // A tool that only reads the folder refuses it half-way, rather than read half of the keys.
        const doctor = await runCli(["doctor", "--persist", dir], { cwd: project });
        expect(doctor.code).not.toBe(0);
        expect(doctor.stderr).toContain(
          "is half-way through its upgrade from format 1 to 2 (a server stopped during it); nothing is lost: start `yparty start`",
        );
      }
    }
    // Some kills landed half-way through the upgrade (the test exercises what it means to).
    expect(marks).toContain("1>2");

    const cli = new CliProcess(["start", "--port", "0", "--persist", dir], { cwd: project });
    cleanups.push(() => cli.stop("SIGKILL"));
    const url = await cli.url();
    const listed = await (await fetch(`${url}/parties/main/room-7`)).json();
    expect(listed).toEqual(utf8Order(expected.get("main/room-7")!));
    expect(await cli.stop("SIGTERM")).toBe(0);

    const after = await openStorage({ dir, onWarning: () => undefined });
    try {
      expect(await after.kvRooms()).toEqual(new Map(rooms.map((room) => [room, ODD_KEYS.length + filler.length])));
      for (const [room, keys] of expected) {
        const stored = await after.kv(room).list<string>();
        expect([...stored.keys()], room).toEqual(utf8Order(keys));
        for (const [key, value] of stored) expect(value, `${room} ${JSON.stringify(key)}`).toBe(`${room} ${key} ${"x".repeat(2_000)}`);
      }
      for (let i = 0; i < 20; i++) expect(textOf(await after.docs.load(`main/doc-${i}`))).toBe(`document ${i}`);
    } finally {
      await after.close();
    }
  });
});
