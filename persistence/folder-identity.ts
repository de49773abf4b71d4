/**
 * Whether the data folder is still the one the storage opened. LevelDB keeps its files open: a folder deleted (or
 * replaced, or emptied) under a running server takes writes as before, into files nobody can open again, so every
 * acknowledgement after it is a lie (seen: POSTs answered 200 after `rm -rf` of the folder, the rooms 404 after a
 * restart). The LOCK file, which LevelDB holds for as long as it is open, tells: gone, or another file, means the
 * folder is not the one written to.
 */
import { statSync } from "node:fs";
import * as path from "node:path";
import { StorageError } from "./types.js";

export class FolderIdentity {
  readonly #lockFile: string;
  /** The LOCK file's device and inode when the database was opened (undefined: there was none). */
  #identity: { dev: bigint; ino: bigint } | undefined;

  constructor(private readonly location: string) {
    this.#lockFile = path.join(location, "LOCK");
    this.#identity = this.#read();
  }

  /** Takes the folder as it is now as the one written to (after LevelDB reopened it). */
  renew(): void {
    this.#identity = this.#read();
  }

  /**
   * Throws `ERR_STORAGE_WRITE` when the folder is not the one opened any more. A stat after every batch, on the event
   * loop: the path is joined once and the numbers compared as they come (no string per check).
   */
  check(): void {
    const now = this.#read();
    if (now !== undefined && now.dev === this.#identity?.dev && now.ino === this.#identity.ino) return;
    throw new StorageError(
      "ERR_STORAGE_WRITE",
      `${this.location} was deleted, emptied or replaced while the server ran: LevelDB's LOCK file in it is not the one ` +
        `it holds, so writes go to files that are gone and nothing more is stored. Stop the server, put the data folder ` +
        `back (from a backup), and start it again`,
    );
  }

  #read(): { dev: bigint; ino: bigint } | undefined {
    // bigint: inode numbers may pass 2^53 (btrfs, network file systems).
    return statSync(this.#lockFile, { bigint: true, throwIfNoEntry: false });
  }
}
