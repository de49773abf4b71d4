/**
 * A `DocumentSession` connection that keeps nothing and only counts what it is sent: the in-process benches
 * (hot-path.ts, apply-breakdown.ts) measure the session's work, not a socket's syscalls.
 */
import type { SessionConnection } from "../src/yjs/peer.js";

export class CountingConnection implements SessionConnection {
  bytes = 0;
  constructor(readonly id: string) {}
  send(data: Uint8Array | string): void {
    this.bytes += typeof data === "string" ? data.length : data.byteLength;
  }
  close(): void {}
}
