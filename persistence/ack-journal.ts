/**
 * The ack journal: a witness, outside LevelDB, of what each document's log held when its last batch landed. LevelDB
 * cannot tell a truncated write-ahead log from a crash before the write (both just end early), and the in-batch
 * record (ack-record.ts) goes down with its batch; this file does not. A line `[name, clock, updates]` (or
 * `[name, null]` for a deletion) is appended after each batch lands, never before, so the journal never claims more
 * than LevelDB took. It is not fsynced: after a power loss it may lag (it then proves less, never something false).
 *
 * The storage checks every document it names when it opens (ack-check.ts), then starts it afresh: what it
 * witnessed is either found in LevelDB, and LevelDB's recovery has written it into a table, or marked damaged.
 * It lives in the data folder beside LevelDB's files under a name LevelDB ignores.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { LogEnd } from "./ack-record.js";
import { defaults } from "./defaults.js";

export const ACK_JOURNAL_FILE = "yparty-acks.jsonl";

/** Each document's last witnessed log end (`null`: deleted). */
export type Journaled = Map<string, LogEnd | null>;

/** Reads the journal of `dir` (empty when there is none). A torn or garbled line is skipped: it proves nothing. */
export async function readJournal(dir: string): Promise<Journaled> {
  const journaled: Journaled = new Map();
  let text: string;
  try {
    text = await fs.promises.readFile(path.join(dir, ACK_JOURNAL_FILE), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return journaled;
    throw error;
  }
  for (const line of text.split("\n")) {
    const entry = parseLine(line);
    if (entry) journaled.set(entry[0], entry[1]);
  }
  return journaled;
}

/** Writes the lines; one per landed batch. */
export class AckJournal {
  readonly #file: string;
  #fd: number;
  #bytes = 0;
  /** Rewrites happen past this: the default, or twice the last rewrite's size (many documents: no rewrite per line). */
  #rewriteAbove: number;
  /** What the file says now, to rewrite it shorter once it grows past `defaults.ackJournalMaxBytes`. */
  readonly #latest: Journaled = new Map();
  #failed = false;

  /** Starts the journal of `dir` afresh (call once what the old one witnessed is checked). */
  constructor(
    dir: string,
    private readonly onFailure: (error: unknown) => void,
    private readonly maxBytes: number = defaults.ackJournalMaxBytes,
  ) {
    this.#rewriteAbove = maxBytes;
    this.#file = path.join(dir, ACK_JOURNAL_FILE);
    this.#fd = fs.openSync(this.#file, "w");
  }

  /** Records that `name`'s log ends at `end` (`null`: deleted). */
  note(name: string, end: LogEnd | null): void {
    this.noteAll([[name, end]]);
  }

  /** Records the log ends one batch left (`null`: deleted). Synchronous: one `write(2)` of short lines. */
  noteAll(landed: Iterable<readonly [name: string, end: LogEnd | null]>): void {
    if (this.#fd < 0) return;
    let lines = "";
    for (const [name, end] of landed) {
      this.#latest.set(name, end);
      lines += `${lineOf(name, end)}\n`;
    }
    try {
      this.#bytes += fs.writeSync(this.#fd, lines);
      if (this.#bytes > this.#rewriteAbove) this.#rewrite();
    } catch (error) {
      // A full disk: the journal then witnesses less. LevelDB's own write just landed, so this is rare; say it once.
      if (!this.#failed) this.onFailure(error);
      this.#failed = true;
    }
  }

  /** Replaces the file with one line per document (atomically: a crash leaves the old or the new one). */
  #rewrite(): void {
    const lines = [...this.#latest].map(([name, end]) => lineOf(name, end));
    const text = `${lines.join("\n")}\n`;
    const temporary = `${this.#file}.tmp`;
    fs.writeFileSync(temporary, text);
    fs.renameSync(temporary, this.#file);
    fs.closeSync(this.#fd);
    this.#fd = fs.openSync(this.#file, "a");
    this.#bytes = Buffer.byteLength(text);
    this.#rewriteAbove = Math.max(this.maxBytes, 2 * this.#bytes);
  }

  close(): void {
    if (this.#fd < 0) return;
    fs.closeSync(this.#fd);
    this.#fd = -1;
  }
}

const lineOf = (name: string, end: LogEnd | null): string => JSON.stringify(end ? [name, end.clock, end.updates] : [name, null]);

function parseLine(line: string): [string, LogEnd | null] | undefined {
  if (line === "") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || typeof value[0] !== "string") return undefined;
  if (value.length === 2 && value[1] === null) return [value[0], null];
  const [name, clock, updates] = value as [string, unknown, unknown];
  return Number.isInteger(clock) && Number.isInteger(updates) ? [name, { clock: clock as number, updates: updates as number }] : undefined;
}
