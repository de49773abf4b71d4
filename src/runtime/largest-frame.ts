/**
 * Where the largest frame a socket is still writing ends, so the send-buffer cap can judge only what piles up
 * behind it: a client that reads is never cut for the size of one frame (a large document's first sync). The
 * socket writes in order, so of the bytes handed to it, `sent − buffered` are written.
 */
export class LargestFrame {
  #sentBytes = 0;
  #largestEnd = 0;
  #largestBytes = 0;

  /** Counts a frame of `bytes` just handed to the socket, which now holds `buffered` bytes unwritten. */
  counted(bytes: number, buffered: number): void {
    this.#sentBytes += bytes;
    if (bytes > this.unsent(buffered)) {
      this.#largestEnd = this.#sentBytes;
      this.#largestBytes = bytes;
    }
  }

  /** The part of the largest frame in flight not written yet, with `buffered` bytes unwritten. */
  unsent(buffered: number): number {
    if (this.#largestBytes === 0) return 0;
    const unsent = Math.min(this.#largestBytes, this.#largestEnd - (this.#sentBytes - buffered));
    if (unsent > 0) return unsent;
    this.#largestBytes = 0;
    return 0;
  }
}
