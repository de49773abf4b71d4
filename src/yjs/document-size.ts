/**
 * The largest document a room holds (`limits.maxDocumentBytes`): every update is admitted here before it is
 * applied, and the one that would take the document's encoded size past the limit is refused with
 * `ERR_DOCUMENT_TOO_LARGE` (HTTP 413, close 1009), so no document grows into one nobody can open.
 *
 * Encoding the document on every write would cost as much as the document, so the size is estimated: the last
 * measured size plus the bytes of every update admitted since (an update adds about its own size to the
 * encoding, and often less). Only when the estimate would pass the limit is the document measured again, at most
 * once per `max / REMEASURE_FRACTION` bytes admitted: a write may be refused that much before the limit. Deleted
 * ranges count the structs they may split off too (`applied`), once applied: the document may pass the limit by what
 * one burst's deletions split. An update that would pass it then is judged by the bytes of what the document lacks of
 * it (new-parts.ts): a reconnect's sync step 2 holds the client's whole delete set, which the document has; judged by
 * its own size, every reconnect to a document closer to its limit than the size of its delete set would be refused,
 * though nothing grows.
 */
import * as Y from "yjs";
import { YjsError } from "./errors.js";

/** Near the limit, the document is measured again once this fraction of the limit has been admitted since. */
const REMEASURE_FRACTION = 64;

/**
 * What one deleted range may add to the encoding beyond its bytes in the update: deleting inside an item splits two
 * structs off it, each written with its origins (~16 bytes with 32-bit client ids). Scattered deletions ("replace
 * all", or a hostile client) otherwise took a document to several times its limit before it was measured once.
 */
const SPLIT_BYTES_PER_DELETED_RANGE = 32;

export class DocumentSize {
  /** The encoded size as last measured, or as the store reported it when the document loaded (unknown: measured first). */
  #known: number | undefined;
  /** Whether `#known` was measured (not only reported), and the bytes admitted since. */
  #exact = false;
  #since = 0;

  constructor(
    /** Encodes the document with every admitted update applied. */
    private readonly measure: () => number,
    readonly max: number,
    /** The bytes `update` would add to the document with every admitted update applied (what it lacks of it). */
    private readonly adds: (update: Uint8Array) => number,
  ) {}

  /** The size the document loaded with, as the store reports it (its stored bytes): spares the first measure. */
  loaded(bytes: number): void {
    this.#known = bytes;
    this.#exact = false;
    this.#since = 0;
  }

  /** The encoded size as estimated now (last measure plus what was admitted since); measured when nothing is known yet. */
  get estimate(): number {
    return (this.#known ?? this.#remeasure()) + this.#since;
  }

  /** Whether the document is known to encode to at most `bytes` (false when its size is not known: never measures). */
  atMost(bytes: number): boolean {
    return this.#known !== undefined && this.#known + this.#since <= bytes;
  }

  /** Throws `ERR_DOCUMENT_TOO_LARGE` when `update` could take the document past the limit; counts it otherwise. */
  admit(update: Uint8Array): void {
    let bytes = update.byteLength;
    const over = (this.#known ?? 0) + this.#since + bytes > this.max;
    const stale = this.#known === undefined || (over && (!this.#exact || this.#since >= this.max / REMEASURE_FRACTION));
    const known = stale ? this.#remeasure() : (this.#known as number);
    if (known + this.#since + bytes > this.max) bytes = this.adds(update);
    if (known + this.#since + bytes > this.max) {
      throw new YjsError("ERR_DOCUMENT_TOO_LARGE", `the document would pass its limit of ${this.max} bytes: delete content or split it into rooms`);
    }
    this.#since += bytes;
  }

  /** Counts what `transaction`'s deletions may have added beyond the bytes admitted (see `SPLIT_BYTES_PER_DELETED_RANGE`). */
  applied(transaction: Y.Transaction): void {
    for (const ranges of transaction.deleteSet.clients.values()) this.#since += ranges.length * SPLIT_BYTES_PER_DELETED_RANGE;
  }

  /** Measures the document now: the estimate starts again from its true size. */
  #remeasure(): number {
    this.#known = this.measure();
    this.#exact = true;
    this.#since = 0;
    return this.#known;
  }
}

/** The encoded size of `doc` (what a fresh client's first sync carries). */
export function encodedSize(doc: Y.Doc): number {
  return Y.encodeStateAsUpdate(doc).byteLength;
}
