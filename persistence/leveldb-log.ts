/**
 * LevelDB's own account of its last open. `classic-level` does not expose `paranoid_checks`, so a damaged block of the
 * write-ahead log is skipped silently on open, but LevelDB writes what it dropped to its info log (`LOG`, started
 * afresh by every open): `... 000003.log: dropping 18366 bytes; Corruption: checksum mismatch`. Read right after the
 * open, those lines say the open lost writes, though not whose (the records in ack-record.ts name the documents).
 * A lost tail of the log (truncated at the end) leaves no such line: LevelDB takes it for a crash mid-write.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";

/** LevelDB's complaints during the open that wrote `LOG` (empty when there were none, or no LOG). */
export async function droppedOnOpen(location: string): Promise<string[]> {
  let text: string;
  try {
    text = await fs.readFile(path.join(location, "LOG"), "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((line) => /dropping \d+ bytes|Corruption|ignoring error/i.test(line))
    .map((line) => line.replace(/^\S+ \S+ /, "")); // timestamp and thread id
}
