/**
 * A real full disk (an 8 MiB tmpfs) under writers of both kinds at once, in a child process: rooms' key-value puts and
 * documents' appends reach LevelDB independently, so batches fail while others are in flight (write-guard.ts). Once
 * space returns the child is killed -9; opened again, the storage holds every put and append that resolved, takes no
 * document for damaged, and every refused write was told as a full disk (ERR_STORAGE_FULL) saying what to do.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { openStorage, type StorageWarning } from "../../persistence/index.js";
import { type Child, spawnFixture } from "./child.js";
import { fillDisk, mountTmpfs, unmount } from "./disk-support.js";
import { makeTempDir, removeDir } from "./helpers.js";

const ROOMS = 6;
const DOCS = 6;
/** Refusals each writer must have met while the disk is full, and writes landed after space returned. */
const REFUSED_EACH = 3;
const LANDED_AFTER = 5;
/** Longest wait for the writers (they take well under a second here): a wait that hangs says where it stopped. */
const WAIT_MS = 20_000;
/**
 * The disk: room for the writers' own data while the test catches up with them, so that the filler, not the writers,
 * fills it. The writers run free in their child (the documents' appends carry their whole state): on 8 MiB, a test
 * process lagging 1-3 s behind (a loaded machine; a 3 s wait before the fill shows it) let them fill most of the disk
 * themselves, and once the filler went the space free was less than their log plus 1 MiB, what a reopen after a failed
 * write needs to replay it (write-guard.ts): writes stayed refused, as they should, and the wait for them failed in a
 * full CI run. 32 MiB held with a 6 s wait before the fill.
 */
const DISK_SIZE = "32m";
const storedValue = (i: number): string => `${i}`.padEnd(3000, "v");

describe("a full disk under rooms' and documents' writes at once", () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it.each([
    ["once space returned", true, 1],
    ["while the disk is full", false, 1],
    ["after three episodes of a full disk (h120)", true, 3],
  ])(
    "keeps every write that resolved through a kill -9 %s, and tells every refused one as a full disk",
    { timeout: 90_000 },
    async (_when, freeFirst, episodes) => {
      const mountPoint = await makeTempDir();
      cleanups.push(() => removeDir(mountPoint));
      mountTmpfs(mountPoint, DISK_SIZE);
      cleanups.push(async () => unmount(mountPoint));
      const dir = path.join(mountPoint, "data");
      const child: Child = spawnFixture("h117-mixed-writers.ts", [dir, String(ROOMS), String(DOCS)]);
      cleanups.push(() => child.kill());
      await child.waitForLine((line) => line === "writing");
      const writers = [...Array.from({ length: ROOMS }, (_, r) => `room-${r}`), ...Array.from({ length: DOCS }, (_, d) => `doc-${d}`)];
      /**
       * Resolves once every writer has printed `kind` at least `times` times from now on. Seen once in a full run (CI,
       * 2 cores), a wait here never ended: it fails after WAIT_MS saying which writers stopped where, so the next time
       * tells whether writes were neither refused nor landed while the disk was full, or did not resume after it.
       */
      const eachWriter = (kind: "ok" | "refused", times: number) => {
        const seen = new Map(writers.map((writer) => [writer, 0]));
        let from = child.lines.length;
        const waited = child.waitForLine(() => {
          for (; from < child.lines.length; from++) {
            const [said, writer] = child.lines[from]!.split(" ", 2);
            if (said === kind) seen.set(writer!, seen.get(writer!)! + 1);
          }
          return [...seen.values()].every((n) => n >= times);
        });
        let timer: NodeJS.Timeout | undefined;
        const overdue = new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            const behind = [...seen].filter(([, n]) => n < times).map(([writer, n]) => `${writer}: ${n}`);
            const last = child.lines.slice(-6).map((line) => line.slice(0, 160));
            reject(new Error(`no ${times} "${kind}" of every writer within ${WAIT_MS} ms; behind: ${behind.join(", ")}; last lines:\n${last.join("\n")}`));
          }, WAIT_MS);
        });
        return Promise.race([waited, overdue]).finally(() => clearTimeout(timer));
      };

      for (let episode = 1; episode < episodes; episode++) {
        const refused = eachWriter("refused", REFUSED_EACH);
        const filler = await fillDisk(mountPoint);
        await refused;
        const landed = eachWriter("ok", LANDED_AFTER);
        await fs.rm(filler);
        await landed;
      }
      const refused = eachWriter("refused", REFUSED_EACH);
      const filler = await fillDisk(mountPoint);
      await refused;
      if (freeFirst) {
        await fs.rm(filler);
        await eachWriter("ok", LANDED_AFTER);
        await child.kill();
      } else {
        await child.kill(); // LevelDB's log may end in a torn record: the next open's replay drops what follows it
        await fs.rm(filler);
      }

      // Each refusal says what to do about it, not only LevelDB's IO error.
      const refusals = child.lines.filter((line) => line.startsWith("refused "));
      expect(refusals.filter((line) => !/^refused \S+ ERR_STORAGE_FULL .*writes resume once space returns/.test(line))).toEqual([]);

      const warnings: StorageWarning[] = [];
      const storage = await openStorage({ dir, onWarning: (w) => warnings.push(w) });
      cleanups.push(() => storage.close());
      // LevelDB may report dropping the torn end of its log (what the storage never acknowledged): no document is short,
      // and that drop is not told as a loss (h120).
      expect(warnings.filter((w) => w.level === "error")).toEqual([]);
      const acked = child.lines.filter((line) => line.startsWith("ok ")).map((line) => line.split(" ") as [string, string, string]);
      const docs = new Map<string, Y.Map<unknown>>();
      for (const [, writer, i] of acked) {
        if (writer.startsWith("room-")) {
          expect(await storage.kv(writer).get(`k${i}`), `${writer} k${i}`).toBe(storedValue(Number(i)));
          continue;
        }
        if (!docs.has(writer)) {
          const doc = new Y.Doc();
          Y.applyUpdate(doc, (await storage.docs.load(writer))!);
          docs.set(writer, doc.getMap("m"));
        }
        expect(docs.get(writer)!.get(`k${i}`), `${writer} k${i}`).toBe(storedValue(Number(i)));
      }
    },
  );
});
