/**
 * A structure-aware fuzz of the write-ahead log an open replays (folders copied while open, as a kill -9 leaves them,
 * then damaged the ways a log is: a torn write followed by later ones, a flipped byte, a zeroed record header, and a
 * damaged record whose stored value is itself a log record). Oracle, for every case: a put whose key the reopened
 * folder lacks was acknowledged, so it is reported at error level naming the log (the server's open and doctor); a
 * true torn write loses nothing and is told as a warning only.
 *
 * Before: a record damaged whole whose value held a copy of an older log record was judged torn (the copy read as a
 * later write cut into it: "nothing acknowledged was lost" while the rest of the block was gone), and a record header
 * zeroed on disk made LevelDB skip the rest of its block without a word, so the open said nothing at all.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import { checkFolder, openStorage, type StorageWarning } from "../../persistence/index.js";
import { tornLog } from "../../persistence/leveldb-log.js";
import { seededRandom } from "../helpers/seeded-random.js";
import { removeDir } from "./helpers.js";
import { batchOf, folderWithLog, HEADER, nextSeq, putBatch, record, renumbered, tornRecord, writtenFrom } from "./torn-log-support.js";

const SEEDS = 6;
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map(removeDir));
});

type Folder = Awaited<ReturnType<typeof folderWithLog>>;

/** k0..k4, then k5 whose value is record 1's bytes (the put of k1), then k6, k7. */
const withEmbeddedRecord = (): Promise<Folder> => folderWithLog(dirs, [(log, puts) => record(log, puts, 1), () => "v".repeat(600), () => "v".repeat(600)]);

interface Outcome {
  missing: string[];
  errors: string[];
  warnings: string[];
  doctorDropped: string[];
  doctorTorn: boolean;
}

/** Opens the damaged folder as a server does (then doctor, on a copy: the open replays the log away). */
async function outcome({ dir }: Folder, keys: number): Promise<Outcome> {
  const copy = `${dir}-doctor`;
  dirs.push(copy);
  await fs.cp(dir, copy, { recursive: true });
  const doctor = await checkFolder(copy);
  const seen: StorageWarning[] = [];
  const storage = await openStorage({ dir, onWarning: (w) => seen.push(w) });
  const stored = await storage.kv("r").list();
  await storage.close();
  return {
    missing: Array.from({ length: keys }, (_, i) => `k${i}`).filter((key) => !stored.has(key)),
    errors: seen.filter((w) => w.level === "error").map((w) => w.message),
    warnings: seen.filter((w) => w.level !== "error").map((w) => w.message),
    doctorDropped: doctor.dropped,
    doctorTorn: doctor.onlyTornWrites === true,
  };
}

/** The oracle: anything acknowledged that is gone is told at error level, by the open and by doctor. */
function expectLossReported(result: Outcome): void {
  if (result.missing.length === 0) return;
  expect(result.errors.join("\n"), `missing ${result.missing.join(",")}`).toMatch(
    /skipped damaged parts of its write-ahead log.*\d+\.log.*writes it had acknowledged may be lost/,
  );
  expect(result.warnings.join("\n")).not.toContain("nothing acknowledged was lost");
  expect(result.doctorDropped.length).toBeGreaterThan(0);
  expect(result.doctorTorn).toBe(false);
}

describe("damage to the write-ahead log, judged against what was acknowledged", () => {
  it("a byte flipped in a record whose value is itself a log record (an older one): damage, not a torn write", async () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const random = seededRandom(seed);
      const folder = await withEmbeddedRecord();
      const { log, puts: records, file } = folder;
      const host = records[5]!;
      const embedded = log.indexOf(Buffer.from(record(log, records, 1)), host.at + HEADER);
      expect(embedded).toBeGreaterThan(host.at);
      const damaged = Buffer.from(log);
      // in the host's data before the copy it holds: the host fails its checksum, the copy inside it stays valid
      const at = host.at + HEADER + Math.floor(random() * (embedded - host.at - HEADER));
      damaged[at]! ^= 1 + Math.floor(random() * 255);
      await fs.writeFile(file, damaged);

      const result = await outcome(folder, 8);
      expect(result.missing.length, `seed ${seed}`).toBeGreaterThan(0); // k5 (and what followed it in the block)
      expectLossReported(result);
    }
  });

  it("a record header zeroed (length 0, type 0) before acknowledged records: LevelDB says nothing, the open does", async () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const random = seededRandom(seed);
      const folder = await withEmbeddedRecord();
      const { log, puts: records, file } = folder;
      const victim = records[Math.floor(random() * (records.length - 1))]!; // not the last: records follow it
      const damaged = Buffer.from(log);
      damaged.fill(0, victim.at + (random() < 0.5 ? 0 : 4), victim.at + HEADER); // the whole header, or length and type
      await fs.writeFile(file, damaged);

      const result = await outcome(folder, 8);
      expect(result.missing.length, `seed ${seed}`).toBeGreaterThan(0);
      expectLossReported(result);
      expect(result.errors.join("\n")).toMatch(/zeroed record header/);
    }
  });

  it("zeros from a record to the log's end (a tail never written): no loss of anything acknowledged is claimed", async () => {
    const folder = await withEmbeddedRecord();
    const { log, puts: records, file } = folder;
    await fs.writeFile(file, Buffer.concat([log, Buffer.alloc(4096, 0)]));
    const result = await outcome(folder, records.length);
    expect(result.missing).toEqual([]);
    expect(result.errors).toEqual([]);
    expect(result.doctorDropped).toEqual([]);
  });

  it("a torn write cut anywhere, then later writes: nothing acknowledged lost, a warning only", async () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const random = seededRandom(seed);
      const folder = await withEmbeddedRecord();
      const { log, puts: records, file } = folder;
      const last = records.at(-1)!;
      const next = nextSeq(log, records);
      const count = batchOf(log, last).count;
      // cut after its batch header, anywhere short of its end
      const cut = HEADER + 12 + Math.floor(random() * (last.end - last.at - HEADER - 13));
      const torn = renumbered(log, last, next).subarray(0, cut);
      const later = [1, 2].map((i) => renumbered(log, records[5 + i]!, next + i * count));
      await fs.writeFile(file, Buffer.concat([log, torn, ...later]));

      const result = await outcome(folder, records.length);
      expect(result.missing, `seed ${seed}`).toEqual([]);
      expect(result.errors, `seed ${seed}`).toEqual([]);
      expect(result.warnings.join("\n")).toMatch(/torn end of a write that failed.*nothing acknowledged was lost/);
      expect(result.doctorTorn).toBe(true);
    }
  });

  it("a torn write cut anywhere, then later writes over several blocks as LevelDB's writer lays them (h142): a warning only", async () => {
    // Past the torn write the writer counts it whole, so its blocks start where the reader's do not: the reader's
    // next blocks start inside later writes' data, zeros (a value of zero bytes) or not.
    for (let seed = 1; seed <= SEEDS * 2; seed++) {
      const random = seededRandom(200 + seed);
      const folder = await withEmbeddedRecord();
      const { log, puts: records, file } = folder;
      const last = records.at(-1)!;
      let seq = nextSeq(log, records);
      const cut = HEADER + 12 + Math.floor(random() * (last.end - last.at - HEADER - 13));
      const torn = renumbered(log, last, seq).subarray(0, cut);
      seq += batchOf(log, last).count;
      const later: Buffer[] = [];
      for (let bytes = 0; bytes < 70_000; seq++) {
        const length = 100 + Math.floor(random() * 6000);
        const value = random() < 0.5 ? Buffer.alloc(length) : Buffer.alloc(length, "v");
        later.push(putBatch(seq, `later${seq}`, value));
        bytes += value.length;
      }
      const written = Buffer.concat([log, torn, writtenFrom(log.length + (last.end - last.at), later)]);
      await fs.writeFile(file, written);
      // What the judgement says of these bytes alone, for the message: it failed once in a full CI run (seed 9) and
      // never here; this tells a misjudged log from an open that judged something else (the bytes' digest: whether
      // CI wrote the same log).
      const judged = `tornLog on the bytes written: ${await tornLog(file)}; ${written.length} bytes, sha1 ${createHash("sha1").update(written).digest("hex")}`;

      const result = await outcome(folder, records.length);
      expect(result.missing, `seed ${seed}`).toEqual([]);
      expect(result.errors, `seed ${seed} (${judged})`).toEqual([]);
      expect(result.warnings.join("\n"), `seed ${seed}`).toMatch(/torn end of a write that failed.*nothing acknowledged was lost/);
      expect(result.doctorTorn, `seed ${seed}`).toBe(true);
    }
  });

  it("a torn write followed by a copy of an older record (not a later write): damage", async () => {
    const folder = await withEmbeddedRecord();
    const { log, puts: records, file } = folder;
    const last = records.at(-1)!;
    // the bytes after the cut are an old record again, numbered before the torn one: not written after it
    await fs.writeFile(
      file,
      Buffer.concat([log, tornRecord(log, last, nextSeq(log, records)), log.subarray(records[2]!.at, records[2]!.end), log.subarray(last.at, last.end)]),
    );
    const result = await outcome(folder, records.length);
    expect(result.errors.join("\n")).toMatch(/writes it had acknowledged may be lost/);
    expect(result.doctorTorn).toBe(false);
  });

  it("a byte flipped anywhere in any record: whatever is lost is reported", async () => {
    for (let seed = 1; seed <= SEEDS * 2; seed++) {
      const random = seededRandom(100 + seed);
      const folder = await withEmbeddedRecord();
      const { log, file } = folder;
      const damaged = Buffer.from(log);
      damaged[Math.floor(random() * log.length)]! ^= 1 + Math.floor(random() * 255);
      await fs.writeFile(file, damaged);
      expectLossReported(await outcome(folder, 8));
    }
  });
});
