/**
 * Bytes of updates the rooms of this process applied and handed to their store, and that the store has not taken yet
 * (every room's UpdateLog adds what it queues and takes off what lands or is given up). While the store is away
 * (PostgreSQL frozen or down, a disk that does not answer) they would pile up in memory for as long as clients write;
 * past `documentLimits.maxUnstoredBytes` the rooms refuse new changes instead (ERR_STORAGE_BACKLOG: close 1013, HTTP
 * 503), which their clients keep and send again once they reconnect. Process-wide, as memory is.
 */
let bytes = 0;

export const unstored = {
  add(count: number): void {
    bytes += count;
  },
  remove(count: number): void {
    bytes -= count;
  },
  get bytes(): number {
    return bytes;
  },
  /** Past this many bytes the store is behind, and updates are queued as copies (update-log.ts). */
  copyAbove: 64 * 1024,
};
