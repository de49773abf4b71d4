/**
 * y-partykit's large-message framing: a frame over `CHUNK_MAX_BYTES` is sent as the text marker
 * `y-pk-batch#{"type":"start",id,size,count}`, `count` binary chunks, then `y-pk-batch#{"type":"end",...}`.
 */
import { ProtocolError } from "./errors.js";

export const BATCH_SENTINEL = "y-pk-batch";
/** The chunk size y-partykit's provider uses. */
export const CHUNK_MAX_BYTES = 1_000_000;

interface BatchMarker {
  type: "start" | "end";
  id: string;
  size: number;
  count: number;
}

export const isBatchMarker = (text: string): boolean => text.startsWith(`${BATCH_SENTINEL}#`);

const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

function parseMarker(text: string): BatchMarker {
  let marker: unknown;
  try {
    marker = JSON.parse(text.slice(BATCH_SENTINEL.length + 1));
  } catch {
    throw new ProtocolError("ERR_BAD_BATCH", "batch marker is not JSON");
  }
  const m = marker as Partial<BatchMarker> | null;
  if (!m || (m.type !== "start" && m.type !== "end") || !isCount(m.size) || !isCount(m.count)) {
    throw new ProtocolError("ERR_BAD_BATCH", "batch marker lacks type, size or count");
  }
  return { type: m.type, id: String(m.id), size: m.size, count: m.count };
}

/** Splits a frame into y-partykit's chunked form; a small frame is returned as is. */
export function splitIntoChunks(frame: Uint8Array, maxBytes = CHUNK_MAX_BYTES): Array<string | Uint8Array> {
  if (frame.byteLength <= maxBytes) return [frame];
  const id = Math.random().toString(36).slice(2, 10);
  const count = Math.ceil(frame.byteLength / maxBytes);
  const marker = (type: "start" | "end") => `${BATCH_SENTINEL}#${JSON.stringify({ id, type, size: frame.byteLength, count })}`;
  const parts: Array<string | Uint8Array> = [marker("start")];
  for (let i = 0; i < count; i++) parts.push(frame.subarray(i * maxBytes, (i + 1) * maxBytes));
  parts.push(marker("end"));
  return parts;
}

/** Reassembles chunked frames for one connection. Refuses batches larger than `maxBytes`. */
export class ChunkedFrameReader {
  #start: BatchMarker | undefined;
  #chunks: Uint8Array[] = [];
  #received = 0;

  /** `limit`: the setting that raises `maxBytes`, named by the refusal. */
  constructor(
    private readonly maxBytes: number,
    private readonly limit = "maxBatchBytes",
  ) {}

  /** Bytes of the batch it is reassembling (0 between batches). */
  get heldBytes(): number {
    return this.#start ? this.#received : 0;
  }

  /** Feeds a text marker; returns the reassembled frame when it ends a batch. */
  marker(text: string): Uint8Array | null {
    const marker = parseMarker(text);
    if (marker.type === "start") {
      if (marker.size > this.maxBytes) {
        // Within a close reason's 120 bytes: it names the limit to raise.
        throw new ProtocolError("ERR_BATCH_TOO_LARGE", `a batch of ${marker.size} bytes, over the limit of ${this.maxBytes} (${this.limit})`);
      }
      this.#start = marker;
      this.#chunks = [];
      this.#received = 0;
      return null;
    }
    const start = this.#start;
    const chunks = this.#chunks;
    this.#start = undefined;
    this.#chunks = [];
    if (!start) throw new ProtocolError("ERR_BAD_BATCH", "batch end without a start");
    // y-partykit's own server checks the end marker against the start and what arrived alike.
    if (start.id !== marker.id || marker.size !== start.size || marker.count !== start.count) {
      throw new ProtocolError("ERR_BAD_BATCH", `batch ${start.id} ends with a marker that does not match its start`);
    }
    if (chunks.length !== start.count || this.#received !== start.size) {
      throw new ProtocolError(
        "ERR_BAD_BATCH",
        `batch ${start.id} arrived incomplete: ${chunks.length} of ${start.count} chunks, ${this.#received} of ${start.size} bytes`,
      );
    }
    const bytes = new Uint8Array(this.#received);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return bytes;
  }

  /** Feeds a binary frame; returns it when it is a whole frame, or `null` when it was buffered in a batch. */
  binary(bytes: Uint8Array): Uint8Array | null {
    if (!this.#start) return bytes;
    this.#received += bytes.byteLength;
    if (this.#received > this.#start.size) {
      this.#start = undefined;
      this.#chunks = [];
      throw new ProtocolError("ERR_BAD_BATCH", "batch chunks exceed the announced size");
    }
    this.#chunks.push(bytes);
    return null;
  }
}
