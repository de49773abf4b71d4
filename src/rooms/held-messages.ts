/**
 * Reliable room messages sent to a session while it has no socket (lost, not yet resumed), held for the resume: the
 * state catches up from the room's kept patches, but a message is sent once, so the session keeps it. Bounded by
 * bytes (`maxReliableBufferBytes`, what an attached client may have unsent before it is closed as too slow): past
 * it, later ones are counted as dropped, and the resumed client is told how many.
 */
export class HeldMessages {
  #frames: Array<{ room: string; frame: string }> = [];
  #bytes = 0;
  #dropped = 0;

  /** `maxBytes`: the served `maxReliableBufferBytes`. */
  hold(room: string, frame: string, maxBytes: number): void {
    const bytes = Buffer.byteLength(frame); // as the socket's buffer counts it (UTF-8), not UTF-16 units
    if (this.#dropped > 0 || this.#bytes + bytes > maxBytes) {
      this.#dropped++; // none after a dropped one: the client gets a prefix, never one with a hole
      return;
    }
    this.#frames.push({ room, frame });
    this.#bytes += bytes;
  }

  /** What was held, oldest first, and how many were dropped past the bound; forgets them. */
  take(): { frames: Array<{ room: string; frame: string }>; dropped: number } {
    const taken = { frames: this.#frames, dropped: this.#dropped };
    this.#frames = [];
    this.#bytes = 0;
    this.#dropped = 0;
    return taken;
  }
}
